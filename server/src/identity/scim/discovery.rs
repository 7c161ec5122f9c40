//! What the SCIM service provider says of itself (RFC 7643 §5–7):
//! `ServiceProviderConfig`, `ResourceTypes` and `Schemas`. The schemas list
//! exactly the attributes Muster keeps, so a client (and `scim2-tester`)
//! writes only what it will read back.

use serde_json::{Value, json};

use super::document::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// Results a list answers at most.
pub const MAX_RESULTS: usize = 1000;

fn string(name: &str, description: &str, required: bool, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": "string", "multiValued": false, "description": description,
        "required": required, "caseExact": false, "mutability": "readWrite", "returned": "default",
        "uniqueness": uniqueness,
    })
}

fn boolean(name: &str, description: &str) -> Value {
    json!({
        "name": name, "type": "boolean", "multiValued": false, "description": description,
        "required": false, "mutability": "readWrite", "returned": "default",
    })
}

fn reference(name: &str, description: &str, types: &[&str]) -> Value {
    json!({
        "name": name, "type": "reference", "referenceTypes": types, "multiValued": false,
        "description": description, "required": false, "caseExact": true, "mutability": "readWrite",
        "returned": "default", "uniqueness": "none",
    })
}

fn complex(name: &str, description: &str, multi: bool, sub: Vec<Value>) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": multi, "description": description,
        "required": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
        "subAttributes": sub,
    })
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id, "name": name, "description": description, "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// The schemas of users, their enterprise extension, and groups.
pub fn schemas(base: &str) -> Vec<Value> {
    let mut email_type = string("type", "work, home or other", false, "none");
    email_type["canonicalValues"] = json!(["work", "home", "other"]);
    vec![
        schema(
            USER_SCHEMA,
            "User",
            "A person of the organisation (an owner, a manager, an approver)",
            vec![
                {
                    let mut user_name = string("userName", "The sign-in name, unique", true, "server");
                    user_name["caseExact"] = json!(false);
                    user_name
                },
                complex(
                    "name",
                    "The person's name",
                    false,
                    vec![
                        string("formatted", "The full name", false, "none"),
                        string("familyName", "The family name", false, "none"),
                        string("givenName", "The given name", false, "none"),
                    ],
                ),
                string("displayName", "The name shown in Muster", false, "none"),
                boolean(
                    "active",
                    "False: the person has left (their agents and credentials become orphans)",
                ),
                complex(
                    "emails",
                    "Email addresses; the primary or work one is the person's in Muster",
                    true,
                    vec![
                        string("value", "The address", false, "none"),
                        email_type,
                        boolean("primary", "The address Muster uses"),
                    ],
                ),
            ],
            base,
        ),
        schema(
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            "The person's department (their team in Muster) and manager",
            vec![
                string(
                    "department",
                    "The team the person belongs to in Muster",
                    false,
                    "none",
                ),
                complex(
                    "manager",
                    "The person's manager",
                    false,
                    vec![
                        string("value", "The manager's SCIM id", false, "none"),
                        reference("$ref", "The manager's URI", &["User"]),
                    ],
                ),
            ],
            base,
        ),
        schema(
            GROUP_SCHEMA,
            "Group",
            "A group of people",
            vec![
                string("displayName", "The group's name, unique", true, "server"),
                complex(
                    "members",
                    "The group's members",
                    true,
                    vec![
                        string("value", "The member's SCIM id", false, "none"),
                        reference("$ref", "The member's URI", &["User", "Group"]),
                        string("type", "User or Group", false, "none"),
                    ],
                ),
            ],
            base,
        ),
    ]
}

/// The resource types: users (with the enterprise extension) and groups.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "description": "People",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Groups of people",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// What the service provider supports.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/muster/muster/blob/main/docs/identity.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token an admin creates in Muster (muster scim-token create)",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
