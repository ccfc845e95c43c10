export { ColibriError, type ErrorDetails, isColibriError } from './colibri-error.js';
export { ERROR_CODES, type ErrorCode, type ErrorKind, errorKind } from './error-codes.js';
