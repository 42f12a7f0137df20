//! Human-readable sizes and durations exactly as node-memwatch prints them (`niceSize`,
//! `niceDelta` in lloyd/node-memwatch `src/util.cc`).

/// `niceSize`: "1024 bytes", "1 kb", "-2.07 kb", "11.67 mb". Thresholds are on the absolute value;
/// kb/mb values are rounded to 2 decimals with halves away from zero (C `round`) and printed with
/// 6 significant digits, like a default C++ stream.
pub fn nice_size(bytes: f64) -> String {
    let magnitude = bytes.abs();
    if magnitude > 1024.0 * 1024.0 {
        format!("{} mb", six_significant((bytes / 10485.76).round() / 100.0))
    } else if magnitude > 1024.0 {
        format!("{} kb", six_significant((bytes / 10.24).round() / 100.0))
    } else {
        format!("{} bytes", six_significant(bytes))
    }
}

/// `niceSize(int)` with C's integer semantics: `abs(INT_MIN)` stays negative, so INT_MIN (what
/// a non-finite rate becomes) prints as "-2147483648 bytes".
pub fn nice_size_c_int(bytes: i32) -> String {
    let magnitude = bytes.wrapping_abs();
    if magnitude > 1024 * 1024 || magnitude > 1024 {
        nice_size(f64::from(bytes))
    } else {
        format!("{bytes} bytes")
    }
}

/// `niceDelta`: "20s", "3m 20s", "2h 3m 20s"; 3600 gives "60m 0s" as in the reference.
pub fn nice_delta(seconds: i64) -> String {
    let mut out = String::new();
    let mut rest = seconds;
    if rest > 3600 {
        out.push_str(&format!("{}h ", rest / 3600));
        rest %= 3600;
    }
    if rest > 60 {
        out.push_str(&format!("{}m ", rest / 60));
        rest %= 60;
    }
    out.push_str(&format!("{rest}s"));
    out
}

/// Formats like `std::ostream << double` with the default precision of 6 (`%g`): at most six
/// significant digits, trailing zeros dropped, scientific notation for very large or small values.
pub fn six_significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return if value.is_nan() {
            "nan".into()
        } else if value.is_infinite() {
            if value > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        } else {
            "0".into()
        };
    }
    let exponent = value.abs().log10().floor() as i32;
    let rounded = format!("{:.*e}", 5, value);
    // Re-read the exponent after rounding (999999.5 rounds up to 1e6).
    let exponent = rounded
        .split('e')
        .nth(1)
        .and_then(|e| e.parse::<i32>().ok())
        .unwrap_or(exponent);
    if !(-5..6).contains(&exponent) {
        let (mantissa, _) = rounded.split_once('e').unwrap_or((&rounded, ""));
        let mantissa = trim_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (5 - exponent).max(0) as usize;
    trim_zeros(&format!("{value:.decimals$}")).to_owned()
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_reference_examples() {
        assert_eq!(nice_size(0.0), "0 bytes");
        assert_eq!(nice_size(1024.0), "1024 bytes");
        assert_eq!(nice_size(1025.0), "1 kb");
        assert_eq!(nice_size(-2120.0), "-2.07 kb");
        assert_eq!(nice_size(400_000.0), "390.63 kb");
        assert_eq!(nice_size(1_048_577.0), "1 mb");
        assert_eq!(nice_size(12_236_881.0), "11.67 mb");
        assert_eq!(nice_size(-5_000_000.0), "-4.77 mb");
        assert_eq!(nice_size(-1024.0), "-1024 bytes");
    }

    #[test]
    fn halves_round_away_from_zero_like_c() {
        // 1152 / 10.24 = 112.5 exactly -> 1.13 kb, and -1.13 kb where JS Math.round gives -1.12.
        assert_eq!(nice_size(1152.0), "1.13 kb");
        assert_eq!(nice_size(-1152.0), "-1.13 kb");
        // 1179648 / 10485.76 = 112.5 exactly.
        assert_eq!(nice_size(-1_179_648.0), "-1.13 mb");
    }

    #[test]
    fn large_values_use_six_significant_digits() {
        assert_eq!(nice_size(5_000_000_000_000.0), "4.76837e+06 mb");
        assert_eq!(six_significant(123_456.7), "123457");
        assert_eq!(six_significant(999_999.5), "1e+06");
        assert_eq!(six_significant(0.5), "0.5");
        assert_eq!(six_significant(-2_147_483_648.0), "-2.14748e+09");
    }

    #[test]
    fn int_min_stays_in_bytes_as_with_c_abs() {
        assert_eq!(nice_size_c_int(i32::MIN), "-2147483648 bytes");
        assert_eq!(nice_size_c_int(-2120), "-2.07 kb");
        assert_eq!(nice_size_c_int(72_000_000), "68.66 mb");
        assert_eq!(nice_size_c_int(1024), "1024 bytes");
    }

    #[test]
    fn deltas_match_the_reference() {
        assert_eq!(nice_delta(20), "20s");
        assert_eq!(nice_delta(60), "60s");
        assert_eq!(nice_delta(61), "1m 1s");
        assert_eq!(nice_delta(3600), "60m 0s");
        assert_eq!(nice_delta(3661), "1h 1m 1s");
        assert_eq!(nice_delta(0), "0s");
    }
}
