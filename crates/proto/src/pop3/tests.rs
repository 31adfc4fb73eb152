//! POP3 fixtures.
