//! Alipay amounts are yuan strings with two decimals ("12.30"); juhe counts integer fen. The
//! conversion is string arithmetic, never floating point, and refuses anything it cannot read
//! exactly (a third decimal, a sign, an exponent, spaces).

use juhe_domain::money::Money;

/// Fen as the yuan string Alipay expects: `1` → `"0.01"`, `10_000_000_000` → `"100000000.00"`.
/// Negative amounts never go on the wire; they come back as `None`.
pub fn fen_to_yuan(amount: Money) -> Option<String> {
    let fen = amount.fen();
    if fen < 0 {
        return None;
    }
    Some(format!("{}.{:02}", fen / 100, fen % 100))
}

/// A yuan string from Alipay as fen: `"0.01"` → 1, `"1.5"` → 150, `"100000000.00"` →
/// 10 000 000 000. `None` for anything malformed (`"1.005"`, `"-1"`, `".5"`, `"1."`, `"1e2"`)
/// or too large for an `i64` of fen.
pub fn yuan_to_fen(text: &str) -> Option<Money> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return None;
    }
    // "1." has a dot but no decimals: not a number Alipay writes.
    if (text.contains('.') && fraction.is_empty()) || fraction.len() > 2 {
        return None;
    }
    let yuan: i64 = whole.parse().ok()?;
    let cents: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<2}").parse().ok()? };
    yuan.checked_mul(100)?.checked_add(cents).map(Money)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly() {
        for fen in [0, 1, 9, 10, 99, 100, 101, 123_456, 10_000_000_000] {
            let text = fen_to_yuan(Money(fen)).expect("non-negative");
            assert_eq!(yuan_to_fen(&text), Some(Money(fen)), "{text}");
        }
        assert_eq!(fen_to_yuan(Money(-1)), None);
    }
}
