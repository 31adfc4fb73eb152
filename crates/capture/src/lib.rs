//! capture (being written)
