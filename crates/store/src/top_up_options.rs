//! The top-up options of a product type in their column: `amount:price` pairs in the smallest
//! units (cents, minutes), comma-separated, in the order shown.

use parkportal_domain::BalanceUnit;
use parkportal_domain::StoreError;
use parkportal_domain::product_type::TopUpOption;

/// The column's text for `options` (`None` when there are none).
pub(crate) fn encode(options: &[TopUpOption], unit: BalanceUnit) -> Option<String> {
    let pairs: Vec<String> = options
        .iter()
        .filter_map(|o| {
            Some(format!(
                "{}:{}",
                unit.to_smallest(o.amount)?,
                o.price_cents()?
            ))
        })
        .collect();
    (!pairs.is_empty()).then(|| pairs.join(","))
}

/// The options in the column's `text`.
pub(crate) fn decode(
    text: Option<&str>,
    unit: BalanceUnit,
) -> Result<Vec<TopUpOption>, StoreError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|pair| {
            let parsed = pair
                .split_once(':')
                .and_then(|(a, p)| Some((a.parse::<i64>().ok()?, p.parse::<i64>().ok()?)));
            let (amount, cents) = parsed
                .ok_or_else(|| StoreError::new(format!("stored top-up {pair:?} does not parse")))?;
            Ok(TopUpOption {
                amount: unit.from_smallest(amount),
                price: BalanceUnit::Money.from_smallest(cents),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_survive_their_column() {
        let d = |s: &str| s.parse().unwrap();
        let options = vec![
            TopUpOption {
                amount: d("10.00"),
                price: d("10.00"),
            },
            TopUpOption {
                amount: d("25.50"),
                price: d("25.00"),
            },
        ];
        let text = encode(&options, BalanceUnit::Money).unwrap();
        assert_eq!(text, "1000:1000,2550:2500");
        assert_eq!(decode(Some(&text), BalanceUnit::Money).unwrap(), options);
        let minutes = vec![TopUpOption {
            amount: d("600"),
            price: d("12.00"),
        }];
        let text = encode(&minutes, BalanceUnit::Minutes).unwrap();
        assert_eq!(decode(Some(&text), BalanceUnit::Minutes).unwrap(), minutes);
        assert_eq!(encode(&[], BalanceUnit::Money), None);
        assert!(decode(Some("10:x"), BalanceUnit::Money).is_err());
    }
}
