//! keepalived 2.2's repetition blocks: the rest of the line, once per value.
//!
//! * `~SEQ(VAR, END)` counts from 1 (or -1) to END, `~SEQ(VAR, START, END)`
//!   from START to END by one, `~SEQ(VAR, START, STEP, END)` by STEP;
//!   `~SEQx` writes the values in hexadecimal (for IPv6 addresses). Numbers
//!   read as C's strtol with base 0 does (`0x1f`, `017`, `-3`).
//! * `~LST(VAR, A, B, C)` takes each listed value in turn, and
//!   `~LST({V1, V2}, {1, 2}, {3, 4})` several variables at once.
//!
//! Both may name `$PARAMETERS` in their parentheses, and nest.

use super::vars::{is_name, Vars};

/// One repetition, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repetition {
    bindings: Bindings,
    /// Where, in the line's characters, the repeated text starts.
    pub rest: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Bindings {
    Sequence {
        variable: String,
        start: i64,
        step: i64,
        end: i64,
        hex: bool,
    },
    List {
        variables: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

impl Repetition {
    /// How many times the line repeats.
    pub fn len(&self) -> usize {
        match &self.bindings {
            Bindings::Sequence {
                start, step, end, ..
            } => {
                let span = (i128::from(*end) - i128::from(*start)) / i128::from(*step);
                usize::try_from(span + 1).unwrap_or(usize::MAX)
            }
            Bindings::List { rows, .. } => rows.len(),
        }
    }

    /// The (variable, value) pairs of repetition `index`.
    pub fn binding(&self, index: usize) -> Vec<(String, String)> {
        match &self.bindings {
            Bindings::Sequence {
                variable,
                start,
                step,
                hex,
                ..
            } => {
                let value = start + step * index as i64;
                let text = if *hex {
                    format!("{value:x}")
                } else {
                    value.to_string()
                };
                vec![(variable.clone(), text)]
            }
            Bindings::List { variables, rows } => variables
                .iter()
                .cloned()
                .zip(rows[index].iter().cloned())
                .collect(),
        }
    }
}

fn invalid(what: &str, why: &str) -> String {
    let form = if what == "~LST" {
        "`~LST(VAR, VALUE, …) line` or `~LST({VAR, …}, {VALUE, …}, …) line`"
    } else {
        "`~SEQ(VAR, [START,] [STEP,] END) line`"
    };
    format!("invalid {what}: {why} ({form})")
}

/// Read the repetition `text` starts with (`~SEQ`, `~SEQx` or `~LST`).
pub fn parse(text: &str, vars: &Vars) -> Result<Repetition, String> {
    let (what, after) = if let Some(after) = text.strip_prefix("~LST") {
        ("~LST", after)
    } else if let Some(after) = text.strip_prefix("~SEQx") {
        ("~SEQx", after)
    } else {
        ("~SEQ", text.strip_prefix("~SEQ").unwrap_or(text))
    };
    let open = after
        .trim_start()
        .strip_prefix('(')
        .ok_or_else(|| invalid(what, "no `(`"))?;
    let close = closing(open).ok_or_else(|| invalid(what, "no `)`"))?;
    let inside = &open[..close];
    let after_close = &open[close + 1..];
    let consumed = text.chars().count() - after_close.chars().count();
    let rest = consumed
        + after_close
            .chars()
            .take_while(|c| c.is_whitespace())
            .count();
    let parts = split_top(inside)
        .into_iter()
        .map(|p| resolve(p.trim(), vars))
        .collect::<Vec<_>>();
    let bindings = if what == "~LST" {
        list(&parts).map_err(|why| invalid(what, &why))?
    } else {
        sequence(&parts, what == "~SEQx").map_err(|why| invalid(what, &why))?
    };
    Ok(Repetition { bindings, rest })
}

/// The index of the `)` that closes the text (braces may hold commas).
fn closing(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ')' if depth == 0 => return Some(at),
            _ => {}
        }
    }
    None
}

/// Split on commas outside braces.
fn split_top(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut from) = (Vec::new(), 0usize, 0);
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[from..at]);
                from = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[from..]);
    parts
}

/// A `$NAME` or `${NAME}` part, replaced by its value when defined.
fn resolve(part: &str, vars: &Vars) -> String {
    let name = part
        .strip_prefix("${")
        .and_then(|n| n.strip_suffix('}'))
        .or_else(|| part.strip_prefix('$'));
    name.and_then(|n| vars.get(n))
        .unwrap_or_else(|| part.to_string())
}

fn sequence(parts: &[String], hex: bool) -> Result<Bindings, String> {
    let variable = parts.first().cloned().unwrap_or_default();
    if !is_name(&variable) {
        return Err("the variable must be a name".into());
    }
    let numbers = parts[1..]
        .iter()
        .map(|p| number(p).ok_or_else(|| format!("{p:?} is not a number")))
        .collect::<Result<Vec<i64>, String>>()?;
    let (start, step, end) = match numbers.as_slice() {
        [end] => (
            if *end < 0 { -1 } else { 1 },
            if *end < 1 { -1 } else { 1 },
            *end,
        ),
        [start, end] => (*start, if start <= end { 1 } else { -1 }, *end),
        [start, step, end] => (*start, *step, *end),
        _ => return Err("it takes one to three numbers".into()),
    };
    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
        return Err(format!("from {start} by {step} never reaches {end}"));
    }
    if hex && (start < 0 || end < 0) {
        return Err("~SEQx takes positive numbers only".into());
    }
    Ok(Bindings::Sequence {
        variable,
        start,
        step,
        end,
        hex,
    })
}

/// The words of a `{A, B}` group, or the one word.
fn group(part: &str) -> Vec<String> {
    match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(inner) => inner.split(',').map(|w| w.trim().to_string()).collect(),
        None => vec![part.to_string()],
    }
}

fn list(parts: &[String]) -> Result<Bindings, String> {
    let variables = group(parts.first().map(String::as_str).unwrap_or_default());
    if variables.iter().any(|v| !is_name(v)) {
        return Err("the variables must be names".into());
    }
    let rows: Vec<Vec<String>> = parts[1..].iter().map(|p| group(p)).collect();
    if rows.is_empty() {
        return Err("it needs at least one value".into());
    }
    if let Some(row) = rows.iter().find(|r| r.len() != variables.len()) {
        return Err(format!(
            "{} variable(s) but {} value(s) in {{{}}}",
            variables.len(),
            row.len(),
            row.join(", ")
        ));
    }
    Ok(Bindings::List { variables, rows })
}

/// A number as strtol(…, 0) reads it, the whole text.
fn number(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        let repetition = parse(text, &Vars::default()).unwrap();
        (0..repetition.len())
            .map(|i| {
                repetition
                    .binding(i)
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    #[test]
    fn sequences_as_keepalived_reads_them() {
        assert_eq!(values("~SEQ(i, 3) x"), ["1", "2", "3"]);
        assert_eq!(values("~SEQ(i, -2) x"), ["-1", "-2"]);
        assert_eq!(values("~SEQ(i, 0) x"), ["1", "0"]);
        assert_eq!(values("~SEQ(SUBNET, 0, 3) x"), ["0", "1", "2", "3"]);
        assert_eq!(values("~SEQ(i, 5, 3) x"), ["5", "4", "3"]);
        assert_eq!(values("~SEQ(i, 1, 4, 10) x"), ["1", "5", "9"]);
        assert_eq!(
            values("~SEQx(S, 0x90, 0x10, 0xc0) x"),
            ["90", "a0", "b0", "c0"]
        );
        assert_eq!(values("~SEQ(i, 010, 011) x"), ["8", "9"]);
        let repetition = parse("~SEQ ( n , 2 )  real_server", &Vars::default()).unwrap();
        assert_eq!(repetition.rest, 16);
    }

    #[test]
    fn lists_of_one_or_several_variables() {
        assert_eq!(values("~LST(IP, 1, 2, 3) x"), ["1", "2", "3"]);
        assert_eq!(
            values("~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}"),
            ["10,1", "20,4"]
        );
        let repetition = parse("~LST({A, B}, {1, 2}) rest", &Vars::default()).unwrap();
        assert_eq!(
            repetition.binding(0),
            [("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(repetition.rest, 21);
    }

    #[test]
    fn parameters_stand_in_for_numbers() {
        let mut vars = Vars::default();
        vars.define("LAST", "3".into());
        let repetition = parse("~SEQ(i, 2, ${LAST}) x", &vars).unwrap();
        assert_eq!(repetition.len(), 2);
        assert!(parse("~SEQ(i, $NOPE) x", &vars)
            .unwrap_err()
            .contains("\"$NOPE\" is not a number"));
    }

    #[test]
    fn bad_repetitions_say_why() {
        for (line, why) in [
            ("~SEQ i, 3) x", "no `(`"),
            ("~SEQ(i, 3 x", "no `)`"),
            ("~SEQ(, 3) x", "must be a name"),
            ("~SEQ(i, three) x", "\"three\" is not a number"),
            ("~SEQ(i, 1, 0, 3) x", "never reaches"),
            ("~SEQ(i, 1, -1, 3) x", "never reaches"),
            ("~SEQ(i, 1, 2, 3, 4) x", "one to three numbers"),
            ("~SEQx(i, -3) x", "positive numbers only"),
            ("~LST(i) x", "at least one value"),
            ("~LST({a, b}, {1}) x", "2 variable(s) but 1 value(s)"),
            ("~LST(1a, 2) x", "must be names"),
        ] {
            let error = parse(line, &Vars::default()).unwrap_err();
            assert!(error.contains(why), "{line}: {error}");
        }
    }

    #[test]
    fn a_huge_range_is_counted_not_built() {
        let repetition = parse("~SEQ(i, 1, 9000000000000000000) x", &Vars::default()).unwrap();
        assert_eq!(repetition.len(), 9_000_000_000_000_000_000);
    }
}
