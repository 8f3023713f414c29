//! One quoting function per shell: each turns any string into a literal that its shell reads
//! back byte for byte, with nothing expanded and nothing run.
