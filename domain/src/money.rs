//! Money is integer fen; rates are parts per million. No floating point anywhere near money.

use serde::{Deserialize, Serialize};

/// An amount in fen (1 yuan = 100 fen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Money(pub i64);

/// A rate in ppm: 0.38% = 3800.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Rate(pub i64);

impl Money {
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// `round_half_up(self × rate / 10^6)`, exact in i128.
    pub fn fee_at(self, rate: Rate) -> Money {
        let product = i128::from(self.0) * i128::from(rate.0);
        let sign = product.signum();
        let abs = product.abs();
        let rounded = (abs + 500_000) / 1_000_000;
        Money((sign * rounded) as i64)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_half_up_exactly() {
        assert_eq!(Money(10_000).fee_at(Rate(3800)), Money(38));
        assert_eq!(Money(131).fee_at(Rate(3800)), Money(0)); // 0.4978 → 0
        assert_eq!(Money(132).fee_at(Rate(3800)), Money(1)); // 0.5016 → 1
        assert_eq!(Money(125).fee_at(Rate(4000)), Money(1)); // 0.5 → 1
        assert_eq!(Money(10_000_000_000).fee_at(Rate(6000)), Money(60_000_000));
    }
}
