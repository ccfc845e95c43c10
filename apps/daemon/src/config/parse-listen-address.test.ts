import { describe, expect, it } from 'vitest';
import { parseListenAddress } from './parse-listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    ['100.64.0.1:9190', { host: '100.64.0.1', port: 9190 }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1 }],
    ['0.0.0.0:9190', { host: '0.0.0.0', port: 9190 }],
    ['[fd7a:115c:a1e0::1]:9190', { host: 'fd7a:115c:a1e0::1', port: 9190 }],
  ])('reads %j', (text, address) => {
    expect(parseListenAddress(text)).toEqual(address);
  });

  it.each([
    ['9190', /not ADDR:PORT/],
    ['localhost:9190', /not an IP address/],
    ['tailnet.example:9190', /not an IP address/],
    ['fd7a::1:9190', /not ADDR:PORT/],
    ['[100.64.0.1]:9190', /not an IP address/],
    ['1.2.3.4:0', /out of range/],
    ['1.2.3.4:70000', /out of range/],
    ['1.2.3.4:', /not ADDR:PORT/],
  ])('refuses %j', (text, message) => {
    expect(parseListenAddress(text)).toMatch(message);
  });
});
