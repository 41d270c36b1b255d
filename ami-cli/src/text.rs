//! Text from the wire, made safe for a terminal.
//!
//! Whatever the server sends — an event's values, a Command's output, an
//! error message — is shown with its control characters escaped visibly
//! (`\x1b`, `\x07`, `\0`, `\r`, `\u{9b}`), so that a hostile or broken
//! server cannot move the cursor, retitle the window, ring the bell or hide
//! text. Tabs are kept. Bytes that are not UTF-8 show as U+FFFD here; the
//! JSON output keeps them exactly.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but the tab escaped.
///
/// ```text
/// visible("a\x1b[2Jb") == "a\\x1b[2Jb"
/// ```
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if c == '\0' {
            out.push_str("\\0");
        } else if c == '\r' {
            out.push_str("\\r");
        } else if c == '\n' {
            out.push_str("\\n");
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Control characters (C0, DEL, C1), and the Unicode bidirectional
/// controls that can reorder what a terminal shows; not the tab.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_characters_are_escaped_visibly() {
        assert_eq!(visible("plain\ttext"), "plain\ttext");
        assert_eq!(visible("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
        assert_eq!(
            visible("nul\0 cr\r lf\n del\x7f"),
            "nul\\0 cr\\r lf\\n del\\x7f"
        );
        assert_eq!(visible("csi\u{9b}31m"), "csi\\u{9b}31m");
        assert_eq!(visible("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert_eq!(visible("Jos\u{e9} \u{fffd}"), "Jos\u{e9} \u{fffd}");
    }
}
