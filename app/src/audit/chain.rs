//! The hash chain: a canonical, unambiguous encoding of an event, hashed
//! together with the previous event's hash.
//!
//! Two versions exist. Version 1 (`sha256(prev ‖ event)`) is plain: whoever
//! owns the database can rewrite a row and recompute every later hash.
//! Version 2 is `HMAC-SHA256(chain key, prev ‖ event)`, under a key derived
//! from the installation secret key, which lives outside the database: a
//! rewrite with SQL alone can no longer produce valid hashes. Events written
//! before the upgrade keep version 1; see `ssr::verify` for the rule that
//! stops a rewrite from posing as such an old event.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the very first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// `hash_version` of a plain sha256 event (written before the chain was keyed).
pub const PLAIN: i16 = 1;
/// `hash_version` of an HMAC-SHA256 event.
pub const KEYED: i16 = 2;

/// The HMAC key of the chain: a sub-key of the installation secret key, so
/// the AES key that seals secrets is never used for anything else.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl ChainKey {
    /// HKDF-SHA256 of the installation key, bound to this one purpose.
    pub fn derive(installation_key: &[u8]) -> Self {
        let mut key = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(None, installation_key)
            .expand(b"opsdeck audit chain v2", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        ChainKey(key)
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

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

/// Version 1: sha256(prev_hash ‖ canonical(fields)).
pub fn event_hash(prev_hash: &[u8], f: &Fields<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    encode(prev_hash, f, &mut |bytes| h.update(bytes));
    h.finalize().into()
}

/// Version 2: HMAC-SHA256(key, prev_hash ‖ canonical(fields)).
pub fn keyed_event_hash(key: &ChainKey, prev_hash: &[u8], f: &Fields<'_>) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
    encode(prev_hash, f, &mut |bytes| mac.update(bytes));
    mac.finalize().into_bytes().into()
}

/// prev_hash ‖ canonical(fields). Every variable-length field is
/// length-prefixed, so no two different events share an encoding.
fn encode(prev_hash: &[u8], f: &Fields<'_>, out: &mut dyn FnMut(&[u8])) {
    out(prev_hash);
    out(&f.id.to_be_bytes());
    out(&f.at_micros.to_be_bytes());
    for text in [
        Some(f.actor),
        Some(f.action),
        Some(f.target),
        Some(f.outcome),
        f.request_id,
        f.client_addr,
    ] {
        put_optional(out, text.map(str::as_bytes));
    }
    put_optional(out, Some(canonical_json(f.details).as_bytes()));
}

fn put_optional(out: &mut dyn FnMut(&[u8]), bytes: Option<&[u8]>) {
    match bytes {
        None => out(&[0u8]),
        Some(b) => {
            out(&[1u8]);
            out(&(b.len() as u64).to_be_bytes());
            out(b);
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
    fn keyed_hash_depends_on_the_key_and_differs_from_the_plain_one() {
        let d = json!({"k": "v"});
        let f = fields(&d, "alice");
        let a = ChainKey::derive(&[7u8; 32]);
        let b = ChainKey::derive(&[8u8; 32]);
        let keyed = keyed_event_hash(&a, &GENESIS, &f);
        assert_eq!(keyed, keyed_event_hash(&a, &GENESIS, &f));
        assert_ne!(keyed, keyed_event_hash(&b, &GENESIS, &f));
        assert_ne!(keyed, event_hash(&GENESIS, &f));
    }

    #[test]
    fn chain_key_is_not_the_installation_key_itself() {
        let master = [7u8; 32];
        assert_ne!(ChainKey::derive(&master).0, master);
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
