//! Telnet fixtures.
