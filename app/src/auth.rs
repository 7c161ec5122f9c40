//! Who is signed in, shared by every component through the context.

use leptos::prelude::*;
use model::api as json;

/// The signed-in session, once known.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    /// `None` until the server has answered; then `Some(None)` when nobody is signed in.
    pub session: RwSignal<Option<Option<json::Session>>>,
}

impl Auth {
    /// Asks the server who is signed in, and provides the answer to the app.
    pub fn provide() -> Auth {
        let auth = Auth {
            session: RwSignal::new(None),
        };
        leptos::task::spawn_local(async move {
            let session = crate::api::session().send().await.ok();
            auth.session.set(Some(session));
        });
        provide_context(auth);
        auth
    }

    /// Whether the signed-in person holds one of `roles` (a reactive read).
    pub fn holds(self, roles: &[json::Role]) -> bool {
        self.session.with(|s| {
            s.as_ref()
                .and_then(Option::as_ref)
                .is_some_and(|s| s.roles.iter().any(|r| roles.contains(r)))
        })
    }

    /// The session provided by [`Auth::provide`].
    pub fn get() -> Auth {
        expect_context::<Auth>()
    }
}
