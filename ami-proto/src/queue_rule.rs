//! The `QueueRule` answer, whose rules belong to lists only by wire order.
//!
//! Asterisk (1.8.5 on) answers `QueueRule` with one message holding every
//! list as repeated `RuleList` / `Rule` headers: a `Rule` belongs to the
//! `RuleList` above it. [`queue_rules`] groups them.

use crate::message::{Line, Message, Value};

/// How a penalty rule changes a penalty bound: set it, or move it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PenaltyChange {
    /// An absolute value (written without a sign: `10`).
    Set(i32),
    /// A relative change (written with a sign: `+3`, `-1`, `+0`).
    Relative(i32),
}

/// One `Rule: <seconds>,<max>,<min>` line of a rule list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenaltyRule<'a> {
    /// The line as sent.
    pub raw: Value<'a>,
    /// Seconds into the wait when the rule applies.
    pub seconds: u32,
    /// The change to `QUEUE_MAX_PENALTY`.
    pub max_penalty: PenaltyChange,
    /// The change to `QUEUE_MIN_PENALTY`.
    pub min_penalty: PenaltyChange,
    /// The change to `QUEUE_RAISE_PENALTY`, for servers that send a fourth
    /// value.
    pub raise_penalty: Option<PenaltyChange>,
}

/// A named rule list and its rules, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleList<'a> {
    /// The `RuleList` value.
    pub name: Value<'a>,
    /// The `Rule` lines that followed it.
    pub rules: Vec<PenaltyRule<'a>>,
}

/// Why a QueueRule answer could not be grouped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueRuleError {
    /// A `Rule` came before any `RuleList`.
    #[error("Rule {0:?} before any RuleList")]
    OrphanRule(String),
    /// A `Rule` value was not `<seconds>,<max>,<min>`.
    #[error("malformed Rule {0:?}")]
    BadRule(String),
}

/// Groups the `Rule` headers of a QueueRule answer under their `RuleList`.
/// Other headers (`Response`, `ActionID`) are ignored; an answer for an
/// unknown rule gives an empty list.
///
/// ```
/// use ami_proto::{Decoder, Decoded, queue_rules, PenaltyChange};
///
/// let mut d = Decoder::new();
/// d.feed(b"Response: Success\r\nActionID: x\r\nRuleList: myrule\r\nRule: 30,+3,+0\r\n\
///          Rule: 60,10,5\r\nRuleList: other\r\nRule: 20,-1,0\r\n\r\n\r\n");
/// let Some(Decoded::Message(m)) = d.decode() else { panic!() };
/// let lists = queue_rules(&m).unwrap();
/// assert_eq!(lists.len(), 2);
/// assert_eq!(lists[0].name, "myrule");
/// assert_eq!(lists[0].rules[1].max_penalty, PenaltyChange::Set(10));
/// assert_eq!(lists[1].rules[0].max_penalty, PenaltyChange::Relative(-1));
/// ```
pub fn queue_rules(message: &Message) -> Result<Vec<RuleList<'_>>, QueueRuleError> {
    let mut lists: Vec<RuleList<'_>> = Vec::new();
    for line in message.lines() {
        let Line::Header(key, value) = line else {
            continue;
        };
        if key.eq_ignore_ascii_case("RuleList") {
            lists.push(RuleList {
                name: value,
                rules: Vec::new(),
            });
        } else if key.eq_ignore_ascii_case("Rule") {
            let list = lists
                .last_mut()
                .ok_or_else(|| QueueRuleError::OrphanRule(value.to_str_lossy().into_owned()))?;
            let rule = parse_rule(value)
                .ok_or_else(|| QueueRuleError::BadRule(value.to_str_lossy().into_owned()))?;
            list.rules.push(rule);
        }
    }
    Ok(lists)
}

fn parse_rule(raw: Value<'_>) -> Option<PenaltyRule<'_>> {
    let text = raw.as_str().ok()?;
    let mut parts = text.split(',');
    let seconds = parts.next()?.trim().parse().ok()?;
    let max_penalty = parse_change(parts.next()?)?;
    let min_penalty = parse_change(parts.next()?)?;
    let raise_penalty = parts.next().map(parse_change);
    if parts.next().is_some() {
        return None;
    }
    Some(PenaltyRule {
        raw,
        seconds,
        max_penalty,
        min_penalty,
        raise_penalty: raise_penalty.map_or(Some(None), |r| r.map(Some))?,
    })
}

fn parse_change(text: &str) -> Option<PenaltyChange> {
    let text = text.trim();
    if text.starts_with(['+', '-']) {
        text.parse().ok().map(PenaltyChange::Relative)
    } else {
        text.parse().ok().map(PenaltyChange::Set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes() {
        let cases = [
            ("+3", Some(PenaltyChange::Relative(3))),
            ("+0", Some(PenaltyChange::Relative(0))),
            ("-1", Some(PenaltyChange::Relative(-1))),
            ("10", Some(PenaltyChange::Set(10))),
            ("x", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_change(text), want, "{text:?}");
        }
    }

    #[test]
    fn rules() {
        let r = parse_rule(Value::new(b"30,+3,+0")).unwrap();
        assert_eq!(r.seconds, 30);
        assert_eq!(r.raise_penalty, None);
        let r = parse_rule(Value::new(b"30,+3,+0,2")).unwrap();
        assert_eq!(r.raise_penalty, Some(PenaltyChange::Set(2)));
        for bad in [&b"30"[..], b"30,+3", b"a,1,2", b"1,2,3,4,5", b"1,2,\xff"] {
            assert!(parse_rule(Value::new(bad)).is_none(), "{bad:?}");
        }
    }
}
