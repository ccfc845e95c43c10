/** The PostgreSQL NOTIFY channel the change-feed triggers write to and the feed LISTENs on. */
export const CHANGE_CHANNEL = 'colibri_changes';
