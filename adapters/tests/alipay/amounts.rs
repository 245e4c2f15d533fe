//! Yuan ↔ fen, exactly.

use juhe_adapters::channels::alipay::{fen_to_yuan, yuan_to_fen};
use juhe_domain::money::Money;

#[test]
fn yuan_and_fen_convert_exactly() {
    assert_eq!(yuan_to_fen("0.01"), Some(Money(1)));
    assert_eq!(yuan_to_fen("100000000.00"), Some(Money(10_000_000_000)));
    assert_eq!(yuan_to_fen("1.5"), Some(Money(150)));
    assert_eq!(yuan_to_fen("1"), Some(Money(100)));
    assert_eq!(yuan_to_fen("0.10"), Some(Money(10)));
    assert_eq!(fen_to_yuan(Money(1)).as_deref(), Some("0.01"));
    assert_eq!(fen_to_yuan(Money(150)).as_deref(), Some("1.50"));
    assert_eq!(fen_to_yuan(Money(10_000_000_000)).as_deref(), Some("100000000.00"));
    assert_eq!(fen_to_yuan(Money(-1)), None);
    for bad in [
        "1.005",
        "",
        ".5",
        "1.",
        "-1.00",
        "+1.00",
        "1e2",
        " 1.00",
        "1.00 ",
        "1,00",
        "0x10",
        "１.00",
        "99999999999999999999.00",
    ] {
        assert_eq!(yuan_to_fen(bad), None, "{bad:?} must be rejected");
    }
}
