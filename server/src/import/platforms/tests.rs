//! Unit tests of the platform imports: the email a page is about, and merging listings.

use super::*;

#[test]
fn a_page_is_about_the_email_its_file_is_named_after_and_nothing_else_counts_as_one() {
    let page = |name, context| Page { name, context };
    assert_eq!(
        page("tokens/Alice@Acme.test.json", None).email().as_deref(),
        Some("alice@acme.test")
    );
    assert_eq!(
        page("C:\\exports\\bob@acme.test.json.gz", None)
            .email()
            .as_deref(),
        Some("bob@acme.test")
    );
    assert_eq!(
        page("tokens.json", Some("carol@acme.test")).email().as_deref(),
        Some("carol@acme.test")
    );
    for name in [
        "tokens@2024.json",
        "a@b@c.test.json",
        "@acme.test.json",
        "x@acme.json",
        "x y@acme.test.json",
    ] {
        assert_eq!(page(name, Some("acme/app")).email(), None, "{name}");
    }
}

#[test]
fn merging_keeps_a_listings_scopes_and_the_latest_state() {
    let now = Utc::now();
    let listed = Grant {
        scopes: ["Mail.Read".to_owned()].into(),
        ..Grant::new("f", "google", "u/c", CredentialKind::OauthGrant, "listed", now)
    };
    let old_event = Grant {
        scopes: ["https://mail.google.com/".to_owned()].into(),
        listed: false,
        active: false,
        ..Grant::new(
            "f",
            "google",
            "u/c",
            CredentialKind::OauthGrant,
            "event",
            now - chrono::Duration::days(3),
        )
    };
    let mut merged = old_event.clone();
    merged.merge(listed.clone());
    assert_eq!(merged.scopes, listed.scopes, "the listing's scopes stand");
    assert!(merged.active && merged.listed && merged.name == "listed");
    let mut merged = listed.clone();
    merged.merge(old_event);
    assert_eq!(merged.scopes, listed.scopes);
    assert!(merged.active, "an older event does not undo the listing");
}
