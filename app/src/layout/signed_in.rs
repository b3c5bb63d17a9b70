//! Who is signed in, asked once per page load by `Layout` and shared with
//! every page through context, so that pages do not each ask the server.

use crate::auth::api::whoami;
use crate::auth::CurrentUser;
use crate::AppError;
use leptos::prelude::*;

/// The signed-in user as `Layout` read it; pages get it with
/// [`use_signed_in`] and await it inside `Suspense`/`Transition`.
#[derive(Clone, Copy)]
pub struct SignedIn(Resource<Result<Option<CurrentUser>, AppError>>);

impl SignedIn {
    /// Reads the user and offers it to every page below the caller.
    pub(super) fn provide() -> Self {
        let me = SignedIn(Resource::new(|| (), |_| whoami()));
        provide_context(me);
        me
    }

    /// The user, or `None` when signed out (or when asking failed).
    pub async fn user(self) -> Option<CurrentUser> {
        self.0.await.ok().flatten()
    }
}

/// The signed-in user provided by `Layout`.
pub fn use_signed_in() -> SignedIn {
    expect_context()
}
