//! IMAP fixtures.
