//! AWS names: the names a resource of the inventory may have for an ARN,
//! and the external id of an IAM user's access key slot. Imports and the
//! IAM queries both use them, so they depend on neither.

/// The resource an ARN names, as a baseline records it when the inventory
/// does not know it: an S3 object's bucket (`arn:aws:s3:::orders/x.csv` →
/// `arn:aws:s3:::orders`), else the ARN itself.
pub fn resource_key(arn: &str) -> String {
    match arn.strip_prefix("arn:aws:s3:::") {
        Some(path) => format!("arn:aws:s3:::{}", path.split('/').next().unwrap_or(path)),
        None => arn.to_owned(),
    }
}

/// The names a resource of the inventory may have for an ARN: the ARN,
/// its [`resource_key`], then its last part (`arn:aws:s3:::orders/x.csv` →
/// `orders`; `arn:aws:dynamodb:…:table/orders` → `orders`).
pub fn resource_names(arn: &str) -> Vec<String> {
    let mut names = vec![arn.to_owned()];
    let key = resource_key(arn);
    if key != arn {
        names.push(key);
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, _, service, _, _, rest] = parts[..] {
        let short = if service == "s3" {
            rest.split('/').next().unwrap_or(rest)
        } else {
            rest.rsplit(['/', ':']).next().unwrap_or(rest)
        };
        if !short.is_empty() && !names.iter().any(|n| n == short) {
            names.push(short.to_owned());
        }
    }
    names
}

/// An IAM user's access key slot as the inventory names it:
/// `<user ARN>#access_key_<n>`.
pub fn slot_id(user_arn: &str, slot: u8) -> String {
    format!("{user_arn}#access_key_{slot}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_names_its_resource_by_its_last_part() {
        assert_eq!(
            resource_names("arn:aws:s3:::prod-orders/2026/11/x.csv"),
            [
                "arn:aws:s3:::prod-orders/2026/11/x.csv",
                "arn:aws:s3:::prod-orders",
                "prod-orders"
            ]
        );
        assert_eq!(
            resource_key("arn:aws:s3:::prod-orders/x"),
            "arn:aws:s3:::prod-orders"
        );
        assert_eq!(
            resource_names("arn:aws:dynamodb:eu-west-1:111122223333:table/orders"),
            ["arn:aws:dynamodb:eu-west-1:111122223333:table/orders", "orders"]
        );
        assert_eq!(resource_names("not-an-arn"), ["not-an-arn"]);
    }
}
