//! keepalived's `~SEQ`: the rest of the line, once per value of a variable.
//! `~SEQ(VAR, END)` counts from 1 (or -1) to END, `~SEQ(VAR, START, END)`
//! from START to END by one, and `~SEQ(VAR, START, STEP, END)` by STEP;
//! `~SEQx` writes the values in hexadecimal (for IPv6 addresses). Numbers
//! read as C's strtol with base 0 does (`0x1f`, `017`, `-3`), and may be
//! `$VARIABLES`.

use std::collections::HashMap;

/// One `~SEQ` line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// The variable each repetition defines.
    pub variable: String,
    /// The line repeated.
    pub text: String,
    start: i64,
    step: i64,
    end: i64,
    hex: bool,
}

impl Sequence {
    /// How many times the line repeats.
    pub fn len(&self) -> usize {
        let span = (i128::from(self.end) - i128::from(self.start)) / i128::from(self.step);
        usize::try_from(span + 1).unwrap_or(usize::MAX)
    }

    /// The values, in order, as the variable will read.
    pub fn values(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.len()).map(move |i| {
            let value = self.start + self.step * i as i64;
            if self.hex {
                format!("{value:x}")
            } else {
                value.to_string()
            }
        })
    }
}

/// Read `line`, which starts with `~SEQ`.
pub fn parse(line: &str, vars: &HashMap<String, String>) -> Result<Sequence, String> {
    let invalid =
        |why: &str| format!("invalid ~SEQ: {why} (`~SEQ(VAR, [START,] [STEP,] END) line`)");
    let rest = &line["~SEQ".len()..];
    let (hex, rest) = match rest.strip_prefix('x') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let rest = rest
        .trim_start()
        .strip_prefix('(')
        .ok_or_else(|| invalid("no `(`"))?;
    let (inside, text) = rest.split_once(')').ok_or_else(|| invalid("no `)`"))?;
    let mut parts = inside.split(',').map(str::trim);
    let variable = parts.next().unwrap_or_default().to_string();
    if variable.is_empty()
        || !variable
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(invalid("the variable must be a name"));
    }
    let numbers = parts
        .map(|p| {
            number(&substituted(p, vars)?).ok_or_else(|| invalid(&format!("{p:?} is not a number")))
        })
        .collect::<Result<Vec<i64>, String>>()?;
    let (start, step, end) = match numbers.as_slice() {
        [end] => (
            if *end < 0 { -1 } else { 1 },
            if *end < 1 { -1 } else { 1 },
            *end,
        ),
        [start, end] => (*start, if start <= end { 1 } else { -1 }, *end),
        [start, step, end] => (*start, *step, *end),
        _ => return Err(invalid("it takes one to three numbers")),
    };
    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
        return Err(invalid(&format!(
            "from {start} by {step} never reaches {end}"
        )));
    }
    if hex && (start < 0 || end < 0) {
        return Err(invalid("~SEQx takes positive numbers only"));
    }
    Ok(Sequence {
        variable,
        text: text.trim_start().to_string(),
        start,
        step,
        end,
        hex,
    })
}

/// `text` with `$NAME` and `${NAME}` replaced.
fn substituted(text: &str, vars: &HashMap<String, String>) -> Result<String, String> {
    let Some(name) = text.strip_prefix('$') else {
        return Ok(text.to_string());
    };
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    vars.get(name)
        .cloned()
        .ok_or_else(|| format!("invalid ~SEQ: ${name} is not defined"))
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

    fn values(line: &str) -> Vec<String> {
        parse(line, &HashMap::new()).unwrap().values().collect()
    }

    #[test]
    fn one_two_or_three_numbers_as_keepalived_reads_them() {
        assert_eq!(values("~SEQ(i, 3) x"), ["1", "2", "3"]);
        assert_eq!(values("~SEQ(i, -2) x"), ["-1", "-2"]);
        assert_eq!(values("~SEQ(i, 0) x"), ["1", "0"]);
        assert_eq!(values("~SEQ(i, 5, 3) x"), ["5", "4", "3"]);
        assert_eq!(values("~SEQ(i, 1, 4, 10) x"), ["1", "5", "9"]);
        assert_eq!(values("~SEQx(i, 9, 0x0c) x"), ["9", "a", "b", "c"]);
        assert_eq!(values("~SEQ(i, 010, 011) x"), ["8", "9"]);
        let line = parse("~SEQ ( n , 2 )  real_server 192.0.2.$n 80", &HashMap::new()).unwrap();
        assert_eq!(line.variable, "n");
        assert_eq!(line.text, "real_server 192.0.2.$n 80");
    }

    #[test]
    fn numbers_may_be_variables() {
        let vars = HashMap::from([("LAST".to_string(), "3".to_string())]);
        let sequence = parse("~SEQ(i, 2, ${LAST}) x", &vars).unwrap();
        assert_eq!(sequence.values().collect::<Vec<_>>(), ["2", "3"]);
        assert!(parse("~SEQ(i, $NOPE) x", &vars)
            .unwrap_err()
            .contains("$NOPE is not defined"));
    }

    #[test]
    fn bad_sequences_say_why() {
        for (line, why) in [
            ("~SEQ i, 3) x", "no `(`"),
            ("~SEQ(i, 3 x", "no `)`"),
            ("~SEQ(, 3) x", "must be a name"),
            ("~SEQ(i, three) x", "\"three\" is not a number"),
            ("~SEQ(i, 1, 0, 3) x", "never reaches"),
            ("~SEQ(i, 1, -1, 3) x", "never reaches"),
            ("~SEQ(i, 1, 2, 3, 4) x", "one to three numbers"),
            ("~SEQx(i, -3) x", "positive numbers only"),
        ] {
            let error = parse(line, &HashMap::new()).unwrap_err();
            assert!(error.contains(why), "{line}: {error}");
        }
    }

    #[test]
    fn a_huge_range_is_counted_not_built() {
        let sequence = parse("~SEQ(i, 1, 9000000000000000000) x", &HashMap::new()).unwrap();
        assert_eq!(sequence.len(), 9_000_000_000_000_000_000);
    }
}
