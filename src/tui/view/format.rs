//! Numbers and times as the console prints them.

/// `HH:MM:SS` (UTC) of a Unix time in milliseconds.
pub fn clock(unix_ms: u64) -> String {
    let secs = unix_ms / 1000 % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// How long before `now` something happened: "4s", "12m", "3h", "2d".
pub fn ago(now_ms: u64, then_ms: u64) -> String {
    let secs = now_ms.saturating_sub(then_ms) / 1000;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A rate in bytes per second, short: "0", "812", "1.2K", "3.4M", "1.1G".
pub fn rate(bytes_per_sec: f64) -> String {
    let units = [(1e9, "G"), (1e6, "M"), (1e3, "K")];
    for (scale, unit) in units {
        if bytes_per_sec >= scale {
            return format!("{:.1}{unit}", bytes_per_sec / scale);
        }
    }
    format!("{bytes_per_sec:.0}")
}

/// A byte count, short, in binary units: "512B", "1.5KiB", "23.4GiB".
pub fn bytes(count: u64) -> String {
    let units = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (scale, unit) in units {
        if count >= scale {
            return format!("{:.1}{unit}", count as f64 / scale as f64);
        }
    }
    format!("{count}B")
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as a one-line sparkline, scaled to their
/// maximum; a zero is a blank so that idle shows as idle.
pub fn spark(
    values: impl DoubleEndedIterator<Item = f32> + ExactSizeIterator,
    width: usize,
) -> String {
    let len = values.len();
    let last: Vec<f32> = values.skip(len.saturating_sub(width)).collect();
    let max = last.iter().copied().fold(0.0, f32::max);
    let mut line: String = last
        .iter()
        .map(|v| {
            if *v <= 0.0 || max <= 0.0 {
                ' '
            } else {
                let level = ((v / max) * 7.0).round() as usize;
                BARS[level.min(7)]
            }
        })
        .collect();
    while line.chars().count() < width {
        line.insert(0, ' ');
    }
    line
}

/// `text` cut to `width` characters, with an ellipsis when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_short() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(1234.0), "1.2K");
        assert_eq!(rate(3_400_000.0), "3.4M");
        assert_eq!(bytes(1536), "1.5KiB");
        assert_eq!(ago(120_000, 0), "2m");
        assert_eq!(ago(5_000, 9_000), "0s", "a clock behind is not negative");
        assert_eq!(clock(45_296_000), "12:34:56");
        assert_eq!(fit("web-frontend", 6), "web-f…");
    }

    #[test]
    fn sparklines_scale_to_their_window_and_show_idle_as_blank() {
        assert_eq!(spark([0.0, 1.0, 2.0, 4.0].into_iter(), 4), " ▃▅█");
        assert_eq!(spark([5.0].into_iter(), 3), "  █");
        assert_eq!(spark([9.0, 1.0, 1.0].into_iter(), 2), "██");
    }
}
