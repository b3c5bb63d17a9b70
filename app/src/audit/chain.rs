//! The hash chain: a canonical, unambiguous encoding of an event, hashed
//! together with the previous event's hash.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the very first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The fields that the hash covers, borrowed.
pub struct Fields<'a> {
    pub id: i64,
    pub at_micros: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub request_id: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub details: &'a serde_json::Value,
}

/// sha256(prev_hash ‖ canonical(fields)). Every variable-length field is
/// length-prefixed, so no two different events share an encoding.
pub fn event_hash(prev_hash: &[u8], f: &Fields<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(f.id.to_be_bytes());
    h.update(f.at_micros.to_be_bytes());
    for text in [
        Some(f.actor),
        Some(f.action),
        Some(f.target),
        Some(f.outcome),
        f.request_id,
        f.client_addr,
    ] {
        put_optional(&mut h, text.map(str::as_bytes));
    }
    put_optional(&mut h, Some(canonical_json(f.details).as_bytes()));
    h.finalize().into()
}

fn put_optional(h: &mut Sha256, bytes: Option<&[u8]>) {
    match bytes {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    }
}

/// JSON with object keys sorted at every level: PostgreSQL's jsonb does not
/// keep key order, so the hash must not depend on it.
pub fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields<'a>(details: &'a serde_json::Value, actor: &'a str) -> Fields<'a> {
        Fields {
            id: 1,
            at_micros: 1_700_000_000_000_000,
            actor,
            action: "user.login",
            target: "user:alice",
            outcome: "success",
            request_id: None,
            client_addr: Some("127.0.0.1"),
            details,
        }
    }

    #[test]
    fn key_order_of_details_does_not_change_the_hash() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":[1,{"q":1,"p":2}]}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":[1,{"p":2,"q":1}],"y":2},"b":1}"#).unwrap();
        assert_eq!(
            event_hash(&GENESIS, &fields(&a, "alice")),
            event_hash(&GENESIS, &fields(&b, "alice"))
        );
    }

    #[test]
    fn any_changed_field_or_previous_hash_changes_the_hash() {
        let d = json!({"k": "v"});
        let base = event_hash(&GENESIS, &fields(&d, "alice"));
        assert_ne!(base, event_hash(&GENESIS, &fields(&d, "alicf")));
        assert_ne!(base, event_hash(&[1; 32], &fields(&d, "alice")));
        assert_ne!(
            base,
            event_hash(&GENESIS, &fields(&json!({"k": "w"}), "alice"))
        );
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let d = json!({});
        let mut one = fields(&d, "ab");
        one.action = "c";
        let mut two = fields(&d, "a");
        two.action = "bc";
        assert_ne!(event_hash(&GENESIS, &one), event_hash(&GENESIS, &two));
    }
}
