//! sensor (in progress)
