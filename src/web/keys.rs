//! The messages on a keys-only session's data channel (a browser that
//! takes its pictures from an SFU and its keys from the camera): one JSON
//! object per text message.
//!
//! ```text
//! {"grant": {"generation": 0, "step": 1, "material": "<32 hex digits>"}}
//! {"farewell": "why the camera ends the session"}
//! ```
//!
//! A grant is `model::KeyGrant` as `page/sframe.js`'s `Opener::grant`
//! takes it; a farewell is followed by the session's end. Pure.

use crate::model::KeyGrant;

/// A grant, for the page's opener.
pub fn grant(grant: &KeyGrant) -> String {
    let material: String = grant.material.iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({
        "grant": {
            "generation": grant.generation,
            "step": grant.step,
            "material": material,
        }
    })
    .to_string()
}

/// Why the camera ends the session.
pub fn farewell(why: &str) -> String {
    serde_json::json!({ "farewell": why }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_carries_its_material_as_hex() {
        let mut material = [0u8; crate::model::KEY_MATERIAL_LEN];
        material[0] = 0xab;
        material[material.len() - 1] = 0x01;
        let text = grant(&KeyGrant {
            generation: 3,
            step: 2,
            material,
        });
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["grant"]["generation"], 3);
        assert_eq!(value["grant"]["step"], 2);
        let hex = value["grant"]["material"].as_str().unwrap();
        assert_eq!(hex.len(), 2 * material.len());
        assert!(hex.starts_with("ab00") && hex.ends_with("01"), "{hex}");
    }

    #[test]
    fn a_farewell_says_why() {
        let value: serde_json::Value = serde_json::from_str(&farewell("removed \"hall\"")).unwrap();
        assert_eq!(value["farewell"], "removed \"hall\"");
    }
}
