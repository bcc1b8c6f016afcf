//! Money: an amount of US dollars held as an exact decimal, always rounded to the cent.
//!
//! [`Money`] is what every monthly cost, subtotal and total is made of. A component's cost is computed exactly
//! (`quantity × unit price` in [`Decimal`]) and rounded once, half away from zero, to the cent; every total is a
//! plain sum of such rounded amounts, so a total always equals the sum of its lines to the cent.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

/// An amount in US dollars, rounded to the cent. See the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds an exact amount to the cent (half away from zero: 0.125 → 0.13).
    pub fn round(amount: Decimal) -> Money {
        Money(amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    /// Whole dollars and cents, e.g. `Money::from_cents(2400)` is $24.00.
    pub fn from_cents(cents: i64) -> Money {
        Money(Decimal::new(cents, 2))
    }

    /// The amount, with exactly two decimal places.
    pub fn amount(self) -> Decimal {
        let mut d = self.0;
        d.rescale(2);
        d
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// The amount as a plain decimal string with two places (`"24.00"`, `"-5.10"`), as JSON output uses it.
    pub fn to_plain_string(self) -> String {
        self.amount().to_string()
    }

    /// Like [`Display`](fmt::Display) but with an explicit sign: `+$24.00`, `-$5.00`, `$0.00`.
    pub fn signed(self) -> String {
        if self.is_zero() {
            format!("{}", Money::ZERO)
        } else if self.is_negative() {
            format!("{self}")
        } else {
            format!("+{self}")
        }
    }
}

impl fmt::Display for Money {
    /// `$1,234.56`; negative amounts as `-$5.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!(
            "{}${}",
            if self.is_negative() { "-" } else { "" },
            group_thousands(&self.amount().abs().to_string())
        );
        f.pad(&s)
    }
}

/// Inserts thousands separators into the integer part of a plain decimal string.
pub(crate) fn group_thousands(plain: &str) -> String {
    let (int, frac) = match plain.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (plain, None),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero_to_the_cent() {
        assert_eq!(Money::round(d("14.7752")).to_plain_string(), "14.78");
        assert_eq!(Money::round(d("3.24485")).to_plain_string(), "3.24");
        assert_eq!(Money::round(d("0.125")).to_plain_string(), "0.13");
        assert_eq!(Money::round(d("-0.125")).to_plain_string(), "-0.13");
        assert_eq!(Money::round(d("24")).to_plain_string(), "24.00");
    }

    #[test]
    fn displays_dollars_with_separators_and_signs() {
        assert_eq!(Money::from_cents(2400).to_string(), "$24.00");
        assert_eq!(Money::from_cents(123456789).to_string(), "$1,234,567.89");
        assert_eq!(Money::from_cents(-500).to_string(), "-$5.00");
        assert_eq!(Money::from_cents(2400).signed(), "+$24.00");
        assert_eq!(Money::from_cents(-500).signed(), "-$5.00");
        assert_eq!(Money::ZERO.signed(), "$0.00");
        assert_eq!(format!("{:>8}", Money::from_cents(100)), "   $1.00");
    }

    #[test]
    fn sums_are_exact() {
        let lines = [
            Money::round(d("0.333")),
            Money::round(d("0.333")),
            Money::round(d("0.334")),
        ];
        let total: Money = lines.iter().sum();
        assert_eq!(total.to_plain_string(), "0.99");
    }
}
