//! Unit tests of SCIM documents: paths, filters, PATCH and projection.

use super::*;
use serde_json::json;

fn patched(mut doc: Value, operations: Value) -> Value {
    patch(&mut doc, operations.as_array().unwrap()).unwrap();
    normalise(&mut doc);
    doc
}

#[test]
fn paths_name_attributes_sub_attributes_filters_and_extensions() {
    let path = parse_path("emails[type eq \"work\"].value").unwrap();
    assert_eq!(path.attr, "emails");
    assert_eq!(path.sub.as_deref(), Some("value"));
    assert!(path.filter.is_some());
    let path = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").unwrap();
    assert_eq!(path.extension, Some(ENTERPRISE_SCHEMA));
    assert_eq!(path.attr, "manager");
    let path = parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").unwrap();
    assert_eq!(
        (path.attr.as_str(), path.sub.as_deref()),
        ("name", Some("givenName"))
    );
    assert!(parse_path("emails[type eq").is_err());
    assert!(parse_path("1abc").is_err());
}

#[test]
fn filters_match_attributes_case_insensitively_and_values_of_lists() {
    let user = json!({
        "userName": "Alice@Example.com", "externalId": "00u1",
        "emails": [{"value": "alice@example.com", "type": "work"}, {"value": "a@home.test", "type": "home"}],
        "active": true,
    });
    let yes = |f: &str| matches(&user, &parse_filter(f).unwrap());
    assert!(yes("userName eq \"alice@example.com\""));
    assert!(yes(
        "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"ALICE@example.com\""
    ));
    assert!(yes("externalId eq \"00u1\" and active eq true"));
    assert!(!yes("externalId eq \"00U1\""), "externalId is case-exact");
    assert!(yes("emails[type eq \"work\" and value eq \"alice@example.com\"]"));
    assert!(!yes(
        "emails[type eq \"home\" and value eq \"alice@example.com\"]"
    ));
    assert!(yes("emails.value eq \"a@home.test\""));
    assert!(yes("userName sw \"alice\" or displayName pr"));
    assert!(!yes("displayName pr"));
    assert_eq!(
        required_equalities(&parse_filter("userName eq \"x\" and externalId eq \"y\"").unwrap()),
        vec![
            ("username".to_owned(), "x".to_owned()),
            ("externalid".to_owned(), "y".to_owned())
        ]
    );
}

#[test]
fn entra_patches_apply_capitalised_ops_string_booleans_and_dotted_or_urn_keys() {
    let doc = json!({"userName": "a", "active": true, "name": {"givenName": "A"}});
    let out = patched(
        doc,
        json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "value": {
                "name.familyName": "Smith",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Payments",
            }},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "42"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@example.com"},
        ]),
    );
    assert_eq!(out["active"], json!(false));
    assert_eq!(out["name"], json!({"givenName": "A", "familyName": "Smith"}));
    assert_eq!(out[ENTERPRISE_SCHEMA]["department"], json!("Payments"));
    assert_eq!(out[ENTERPRISE_SCHEMA]["manager"], json!({"value": "42"}));
    assert_eq!(out["emails"], json!([{"type": "work", "value": "a@example.com"}]));
}

#[test]
fn okta_deactivation_and_group_member_changes_apply() {
    let out = patched(
        json!({"active": true}),
        json!([{"op": "replace", "value": {"active": false}}]),
    );
    assert_eq!(out["active"], json!(false));
    let group = json!({"displayName": "G", "members": [{"value": "1"}, {"value": "2"}]});
    let out = patched(
        group,
        json!([
            {"op": "add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]},
            {"op": "remove", "path": "members[value eq \"2\"]"},
        ]),
    );
    assert_eq!(out["members"], json!([{"value": "1"}, {"value": "3"}]));
    let mut doc = json!({"id": "1"});
    assert!(patch(&mut doc, &[json!({"op": "replace", "path": "id", "value": "2"})]).is_err());
    assert!(patch(&mut doc, &[json!({"op": "remove"})]).is_err());
}

#[test]
fn attributes_keep_what_is_asked_and_excluded_attributes_drop_it() {
    let user = json!({"id": "1", "schemas": [USER_SCHEMA], "userName": "a", "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"value": "x", "type": "work"}]});
    let paths = |list: &[&str]| list.iter().map(|p| parse_path(p).unwrap()).collect::<Vec<_>>();
    assert_eq!(
        project(&user, &paths(&["name.givenName", "emails.value"]), &[]),
        json!({"id": "1", "schemas": [USER_SCHEMA], "name": {"givenName": "A"}, "emails": [{"value": "x"}]})
    );
    let out = project(&user, &[], &paths(&["userName", "name.familyName", "id"]));
    assert_eq!(
        out,
        json!({"id": "1", "schemas": [USER_SCHEMA], "name": {"givenName": "A"}, "emails": [{"value": "x", "type": "work"}]})
    );
}
