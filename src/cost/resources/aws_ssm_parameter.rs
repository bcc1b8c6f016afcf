//! `aws_ssm_parameter`: standard parameters are free; advanced parameters cost per parameter-month. An
//! `Intelligent-Tiering` parameter is advanced when its value is longer than 4 KB (the value is only measured,
//! never shown).

use super::Model;
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_ssm_parameter",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let advanced = match p.str_or("tier", "Standard") {
        "Advanced" => true,
        "Intelligent-Tiering" => {
            let len = |a: Attr<'_>| match a {
                Attr::Known(v) => v.as_str().map(str::len),
                _ => None,
            };
            match len(p.get("value")).or(len(p.get("insecure_value"))) {
                Some(n) => n > 4096,
                None => {
                    p.unknown("value (its size decides the Intelligent-Tiering tier)");
                    return;
                }
            }
        }
        _ => false,
    };
    if advanced {
        p.fixed(
            "parameter",
            "Advanced parameter",
            "ssm/parameter/advanced",
            Decimal::ONE,
        );
    } else {
        p.free("standard parameters are free");
    }
}
