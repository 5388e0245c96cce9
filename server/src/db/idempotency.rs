//! `Idempotency-Key` claims that commit with the change they protect.
//!
//! The middleware ([`crate::ops::idempotency`]) looks the key up without writing. When the key is
//! new it runs the request inside [`scope`], with a [`Claim`] the request's first write
//! transaction takes ([`Db::begin`](super::Db::begin)); [`Tx::commit`](super::Tx::commit) writes
//! the key row as the transaction's last statement — `done` with the answer when the service
//! supplied one ([`answer`]), else `pending` for the middleware to complete. So the key, the change, its audit entry and
//! its outbox rows commit together or not at all: a retried send costs the one transaction the
//! send costs anyway, and a crash can never leave a change without its key (which would let a
//! retry run it twice) nor a key without its change.
//!
//! A second request with the same key that got past the lookup meets the first one's row when
//! it commits: on PostgreSQL its insert waits for the first transaction and then finds the key
//! taken, on SQLite the write lock orders them. Its transaction rolls back ([`Phase::Lost`]) and
//! the middleware answers from what the first one left.

use super::{now_ms, Db};
use std::sync::{Arc, Mutex};

/// What a request with a key gets back.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What an earlier request with the same key left.
pub enum Found {
    /// Nothing (or only an expired key, created at the instant given): this request runs.
    Nothing { expired: Option<i64> },
    /// Its answer, to replay.
    Done {
        request_hash: String,
        answer: Answer,
    },
    /// Its change committed, its answer is not recorded yet (or was lost in a crash).
    Pending {
        request_hash: String,
        created_at: i64,
    },
}

/// Where a request's claim stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No transaction has taken the claim (yet).
    Open,
    /// A transaction holds the claim and has not ended.
    InTx,
    /// The claim committed with a change; `answered` when the answer went with it.
    Committed { answered: bool },
    /// Another request holds the key: this one must not change anything.
    Lost,
}

/// A request's claim on its key.
pub struct Claim {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    /// The creation instant of an expired row this claim replaces.
    expired: Option<i64>,
    inner: Mutex<(Phase, Option<Answer>)>,
}

impl Claim {
    pub fn new(scope: String, key: String, request_hash: String, expired: Option<i64>) -> Claim {
        Claim {
            scope,
            key,
            request_hash,
            expired,
            inner: Mutex::new((Phase::Open, None)),
        }
    }

    pub fn phase(&self) -> Phase {
        self.inner.lock().map(|g| g.0).unwrap_or(Phase::Lost)
    }

    fn set(&self, phase: Phase) {
        if let Ok(mut g) = self.inner.lock() {
            g.0 = phase;
        }
    }

    /// Move from `from` to `to`; false when the claim was elsewhere.
    fn advance(&self, from: Phase, to: Phase) -> bool {
        match self.inner.lock() {
            Ok(mut g) if g.0 == from => {
                g.0 = to;
                true
            }
            _ => false,
        }
    }

    fn take_answer(&self) -> Option<Answer> {
        self.inner.lock().ok().and_then(|mut g| g.1.take())
    }
}

tokio::task_local! {
    static CURRENT: Arc<Claim>;
}

/// Run a request's future with its claim.
pub async fn scope<F: std::future::Future>(claim: Arc<Claim>, f: F) -> F::Output {
    CURRENT.scope(claim, f).await
}

/// The answer the request will give, recorded by the transaction that holds the claim when it
/// commits. Call it before that commit; outside a claimed transaction it does nothing and
/// `make` is not called (the middleware then records the answer itself, in a transaction of
/// its own).
pub fn answer(make: impl FnOnce() -> Answer) {
    let _ = CURRENT.try_with(|c| {
        if c.phase() == Phase::InTx {
            let a = make();
            if let Ok(mut g) = c.inner.lock() {
                g.1 = Some(a);
            }
        }
    });
}

/// The held claim of a transaction: given back (to [`Phase::Open`]) when the transaction ends
/// without committing, so that a later transaction of the request can take it.
pub(super) struct Held(Option<Arc<Claim>>);

impl Held {
    pub(super) fn none() -> Held {
        Held(None)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            if let Ok(mut g) = c.inner.lock() {
                if g.0 == Phase::InTx {
                    // Rolled back: the answer it was given went with it.
                    *g = (Phase::Open, None);
                }
            }
        }
    }
}

/// Error for a request that found its key taken at `begin`; the middleware replaces the answer.
fn taken() -> sqlx::Error {
    sqlx::Error::Protocol("the idempotency key is held by another request".into())
}

/// Take the current request's claim, if it has an open one, for a transaction that just began.
/// The key is written when the transaction commits ([`Held::before_commit`]), so a change
/// costs no statement for its key until then.
pub(super) fn take() -> Held {
    let Ok(claim) = CURRENT.try_with(Arc::clone) else {
        return Held::none();
    };
    if !claim.advance(Phase::Open, Phase::InTx) {
        return Held::none();
    }
    Held(Some(claim))
}

impl Held {
    /// Before the transaction commits: write the key, with the answer when the service supplied
    /// one, as `done`, else as `pending` (the change committed, its answer comes next). A key
    /// another request took meanwhile refuses the commit: the transaction rolls back and the
    /// request answers from what the other one left. On PostgreSQL a concurrent insert of the
    /// same key waits here for the other transaction, then finds the key taken.
    pub(super) async fn before_commit(
        &self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<bool, sqlx::Error> {
        let Some(claim) = &self.0 else {
            return Ok(false);
        };
        let a = claim.take_answer();
        let (state, status, content_type, body) = match &a {
            Some(a) => (
                "done",
                Some(i64::from(a.status)),
                a.content_type.clone(),
                Some(a.body.clone()),
            ),
            None => ("pending", None, None, None),
        };
        let now = now_ms();
        let n = match claim.expired {
            Some(old) => sqlx::query(
                "update idempotency_keys set request_hash = $1, state = $2, response_status = $3,
                        content_type = $4, body = $5, created_at = $6
                 where scope = $7 and key = $8 and created_at = $9",
            )
            .bind(&claim.request_hash)
            .bind(state)
            .bind(status)
            .bind(content_type)
            .bind(body)
            .bind(now)
            .bind(&claim.scope)
            .bind(&claim.key)
            .bind(old)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            // A plain insert: a key taken meanwhile is a unique violation, which rolls the
            // transaction back and reads as a conflict (409), not as a server error.
            None => match sqlx::query(
                "insert into idempotency_keys
                     (scope, key, request_hash, state, response_status, content_type, body, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&claim.scope)
            .bind(&claim.key)
            .bind(&claim.request_hash)
            .bind(state)
            .bind(status)
            .bind(content_type)
            .bind(body)
            .bind(now)
            .execute(&mut *conn)
            .await
            {
                Ok(r) => r.rows_affected(),
                Err(e) if super::is_unique_violation(&e) => {
                    claim.set(Phase::Lost);
                    return Err(e);
                }
                Err(e) => return Err(e),
            },
        };
        if n != 1 {
            claim.set(Phase::Lost);
            return Err(taken());
        }
        Ok(a.is_some())
    }

    /// After the transaction committed.
    pub(super) fn committed(mut self, answered: bool) {
        if let Some(c) = self.0.take() {
            c.advance(Phase::InTx, Phase::Committed { answered });
        }
    }
}

async fn record(
    conn: &mut sqlx::AnyConnection,
    scope: &str,
    key: &str,
    a: &Answer,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update idempotency_keys set state = 'done', response_status = $1, content_type = $2, body = $3
         where scope = $4 and key = $5",
    )
    .bind(i64::from(a.status))
    .bind(a.content_type.clone())
    .bind(a.body.clone())
    .bind(scope)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: String,
    state: String,
    response_status: Option<i64>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
    created_at: i64,
}

/// What an earlier request left under `key` (read only; no transaction).
pub async fn find(db: &Db, scope: &str, key: &str, ttl_ms: i64) -> Result<Found, sqlx::Error> {
    let mut conn = db.conn().await?;
    let stored: Option<Stored> = sqlx::query_as(
        "select request_hash, state, response_status, content_type, body, created_at
         from idempotency_keys where scope = $1 and key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(s) = stored else {
        return Ok(Found::Nothing { expired: None });
    };
    if s.created_at + ttl_ms < now_ms() {
        return Ok(Found::Nothing {
            expired: Some(s.created_at),
        });
    }
    Ok(match (s.state.as_str(), s.response_status) {
        ("done", Some(status)) => Found::Done {
            request_hash: s.request_hash,
            answer: Answer {
                status: u16::try_from(status).unwrap_or(200),
                content_type: s.content_type,
                body: s.body.unwrap_or_default(),
            },
        },
        _ => Found::Pending {
            request_hash: s.request_hash,
            created_at: s.created_at,
        },
    })
}

/// Record the answer of a request whose change committed with its claim, in a transaction of
/// its own.
pub async fn finish(db: &Db, claim: &Claim, a: &Answer) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_unclaimed().await?;
    record(&mut tx, &claim.scope, &claim.key, a).await?;
    tx.commit().await
}

/// Record the answer of a request that committed nothing (a refusal, say), unless another
/// request took the key meanwhile.
pub async fn store(db: &Db, claim: &Claim, a: &Answer) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_unclaimed().await?;
    let q = match claim.expired {
        Some(old) => sqlx::query(
            "update idempotency_keys set request_hash = $1, state = 'done', response_status = $2,
                    content_type = $3, body = $4, created_at = $5
             where scope = $6 and key = $7 and created_at = $8",
        )
        .bind(&claim.request_hash)
        .bind(i64::from(a.status))
        .bind(a.content_type.clone())
        .bind(a.body.clone())
        .bind(now_ms())
        .bind(&claim.scope)
        .bind(&claim.key)
        .bind(old),
        None => sqlx::query(
            "insert into idempotency_keys
                 (scope, key, request_hash, state, response_status, content_type, body, created_at)
             values ($1, $2, $3, 'done', $4, $5, $6, $7) on conflict (scope, key) do nothing",
        )
        .bind(&claim.scope)
        .bind(&claim.key)
        .bind(&claim.request_hash)
        .bind(i64::from(a.status))
        .bind(a.content_type.clone())
        .bind(a.body.clone())
        .bind(now_ms()),
    };
    q.execute(&mut *tx).await?;
    tx.commit().await
}

/// Forget a committed claim whose answer must not be kept (it carries a secret): a retry runs
/// again, where the operation's own rules refuse a duplicate or mint a fresh secret.
pub async fn release(db: &Db, claim: &Claim) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_unclaimed().await?;
    sqlx::query("delete from idempotency_keys where scope = $1 and key = $2 and state = 'pending'")
        .bind(&claim.scope)
        .bind(&claim.key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Delete every key of one scope (a person's, when their account is erased: the stored
/// answers hold what they sent); keys deleted.
pub async fn delete_scope(db: &Db, scope: &str) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_unclaimed().await?;
    let n = sqlx::query("delete from idempotency_keys where scope = $1")
        .bind(scope)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// How many keys a scope holds.
pub async fn count_scope(db: &Db, scope: &str) -> Result<u64, sqlx::Error> {
    let mut conn = db.conn().await?;
    let n: i64 = sqlx::query_scalar("select count(*) from idempotency_keys where scope = $1")
        .bind(scope)
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Delete keys created before `before`.
pub async fn prune(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_unclaimed().await?;
    let n = sqlx::query("delete from idempotency_keys where created_at < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn temp_db() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("stoa-idem-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 2)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        sqlx::query("create table changes (id text primary key)")
            .execute(&db.pool)
            .await
            .unwrap();
        (db, dir)
    }

    fn claim(key: &str) -> Arc<Claim> {
        Arc::new(Claim::new("scope".into(), key.into(), "hash".into(), None))
    }

    async fn write(db: &Db, id: &str, answer_with: Option<&str>, commit: bool) {
        let mut tx = db.begin().await.unwrap();
        sqlx::query("insert into changes (id) values ($1)")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        if let Some(body) = answer_with {
            answer(|| Answer {
                status: 201,
                content_type: Some("text/plain".into()),
                body: body.as_bytes().to_vec(),
            });
        }
        if commit {
            tx.commit().await.unwrap();
        }
    }

    async fn heads(db: &Db, id: &str) -> i64 {
        sqlx::query_scalar("select count(*) from changes where id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_key_and_its_answer_commit_with_the_change() {
        let (db, dir) = temp_db().await;
        let c = claim("k1");
        scope(c.clone(), write(&db, "t1", Some("first"), true)).await;
        assert_eq!(c.phase(), Phase::Committed { answered: true });
        match find(&db, "scope", "k1", 60_000).await.unwrap() {
            Found::Done { answer, .. } => assert_eq!(answer.body, b"first"),
            _ => panic!("the answer was not recorded with the change"),
        }
        // A second request with the key that got past the lookup changes nothing.
        let late = claim("k1");
        let r = scope(late.clone(), async {
            let mut tx = db.begin().await.unwrap();
            sqlx::query("insert into changes (id) values ('t1-again')")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.is_err()
        })
        .await;
        assert!(r, "a taken key refuses the commit");
        assert_eq!(
            heads(&db, "t1-again").await,
            0,
            "and its change rolled back"
        );
        assert_eq!(late.phase(), Phase::Lost);
        assert_eq!(heads(&db, "t1").await, 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_rolled_back_change_leaves_no_key() {
        let (db, dir) = temp_db().await;
        let c = claim("k2");
        scope(c.clone(), async {
            write(&db, "t2", Some("never"), false).await;
            // The claim is free again for the request's next transaction.
            assert_eq!(c.phase(), Phase::Open);
            write(&db, "t3", None, true).await;
        })
        .await;
        assert_eq!(c.phase(), Phase::Committed { answered: false });
        assert_eq!(heads(&db, "t2").await, 0);
        assert_eq!(heads(&db, "t3").await, 1);
        assert!(matches!(
            find(&db, "scope", "k2", 60_000).await.unwrap(),
            Found::Pending { .. }
        ));
        // Outside a request nothing is claimed.
        write(&db, "t4", Some("ignored"), true).await;
        assert_eq!(heads(&db, "t4").await, 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
