//! Thousands of signed-in people in seconds, for the loads that need them (W4 at 10,000
//! sockets, users per machine).
//!
//! Creating people through the API means one argon2 hash per person when they accept their
//! invitation (by design ~20–50 ms of CPU each): minutes for thousands. Instead the accounts and
//! their sessions are written straight into the server's database through the `stoa` library,
//! the way the server itself writes them (`users::service::insert_user`, `start_session`): an
//! active account with a password (one argon2 hash, shared), the built-in `staff` role, a session
//! whose token this program chose and whose SHA-256 digest is stored, and a policy version bump
//! so that the running server reloads the tenant's bindings on the next request, as another node
//! would. The tenant itself (roles, admin) comes from the operator API.

use crate::{BoxError, Spawned};
use stoa::{
    authn::{store::insert_session, tokens},
    db::{new_id, now_ms, Db},
    users::store::UserRow,
};

pub const PASSWORD: &str = "bench passphrase 1";

#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

/// The database URL the spawned server uses.
pub fn database_url(server: &Spawned, database_url: Option<&str>) -> String {
    database_url
        .map(str::to_string)
        .unwrap_or_else(|| format!("sqlite://{}/stoa.db?mode=rwc", server.dir.display()))
}

/// `n` active staff members of the tenant `bench` (made by `storage::admin_token`), each with a
/// live session. Emails are `p{i}@bench.test`, the password [`PASSWORD`].
pub async fn people(
    server: &Spawned,
    database_url: Option<&str>,
    n: usize,
) -> Result<Vec<Person>, BoxError> {
    let db = Db::connect(&self::database_url(server, database_url), 2).await?;
    let started = std::time::Instant::now();
    let password_hash = stoa::authn::password::hash(PASSWORD)
        .await
        .map_err(|e| format!("hashing: {e:?}"))?;
    let tenant_id: String = sqlx::query_scalar("select id from tenants where slug = 'bench'")
        .fetch_one(&db.pool)
        .await?;
    let staff = {
        let mut conn = db.conn().await?;
        stoa::authz::store::get_builtin(&mut conn, &tenant_id, "staff")
            .await?
            .ok_or("the tenant has no staff role")?
    };
    let expires_at = now_ms() + 7 * 24 * 3600 * 1000;
    let mut people = Vec::with_capacity(n);
    let indices: Vec<usize> = (0..n).collect();
    for chunk in indices.chunks(500) {
        let mut tx = db.begin().await?;
        for &i in chunk {
            let email = format!("p{i}@bench.test");
            let user = UserRow::new(
                &tenant_id,
                format!("Person {i}"),
                Some(email.clone()),
                None,
                Some(password_hash.clone()),
            );
            stoa::users::store::insert(&mut tx, &user).await?;
            stoa::authz::store::set_user_roles(
                &mut tx,
                &tenant_id,
                &user.id,
                std::slice::from_ref(&staff.id),
            )
            .await?;
            let token = tokens::generate("stoa_s_");
            insert_session(
                &mut tx,
                &tenant_id,
                &new_id(),
                &user.id,
                &tokens::hash(&token),
                "stoa-bench",
                "127.0.0.1",
                expires_at,
            )
            .await?;
            people.push(Person {
                id: user.id,
                email,
                token,
            });
        }
        // Only new people (new sessions) change: no cached lookup carries the old version.
        let _ = stoa::authz::bump_version(&mut tx, &tenant_id).await?;
        tx.commit().await?;
    }
    db.pool.close().await;
    eprintln!(
        "seeded {n} people with sessions in {}",
        crate::fmt_ms(started.elapsed())
    );
    Ok(people)
}
