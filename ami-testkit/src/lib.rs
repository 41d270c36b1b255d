//! A fake Asterisk on loopback (placeholder being written).
