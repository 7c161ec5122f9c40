//! The inventory's pages assembled from each aggregate's queries: a
//! credential's detail carries its revocation, its platform grant and its
//! last attestation, which their own query modules read (so that no query
//! module calls another's in a circle).

use model::api::{self as json, OwnedKind};

use crate::ApiError;
use crate::db::{Db, credentials, platforms, reviews, revocations};

/// `GET /api/v1/credentials/{id}`: the credential with what other
/// aggregates know of it; 404 when there is none.
pub async fn credential(db: &Db, id: i64) -> Result<json::CredentialDetail, ApiError> {
    let mut detail = credentials::get(db, id).await?;
    detail.revocation = revocations::brief(db, id).await?;
    detail.grant = platforms::grant_facts(db, id).await?;
    detail.last_attested =
        reviews::last_attested(&mut *db.pool().acquire().await?, OwnedKind::Credential, id).await?;
    Ok(detail)
}
