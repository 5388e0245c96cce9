//! Importing an iCalendar file (`.ics`, as calendar apps export it) into the caller's
//! calendar: each VEVENT becomes a meeting the caller organises, with its time zone, rule
//! (RRULE) and left-out dates (EXDATE), and no attendees (invitations are not sent on
//! someone's behalf). The file is parsed in the sandboxed converter child
//! ([`super::ics_parse`]); each event then goes through `meetings::service::create` like any
//! other meeting, so a rule the meetings feature refuses is reported, not half-imported.
//!
//! Importing the same file again skips the events already imported (by UID) whose meeting
//! still exists. The answer lists what was imported and what was skipped, with the reason.

use super::{
    ics_parse::{self, Args, Parsed},
    store,
};
use crate::{
    authn::Principal,
    authz::perm,
    db::now_ms,
    error::{ApiError, ApiResult, Code},
    jobs::convert::{Budget, ConvertError},
    meetings::{self, service::Input},
    AppState,
};
use std::time::Duration;

/// The largest file accepted.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// An event that became a meeting.
#[derive(Debug, Clone)]
pub struct Imported {
    pub uid: String,
    pub title: String,
    pub meeting_id: String,
}

/// An event left out, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub uid: String,
    pub title: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub imported: Vec<Imported>,
    pub skipped: Vec<Skipped>,
    /// Events skipped because an earlier import already brought them in.
    pub already_imported: usize,
    /// To-dos, journals and other components that are not events.
    pub other_components: usize,
}

/// Import `bytes` (an iCalendar file) for the caller; floating times are read in their time
/// zone (`zone`, an IANA name).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, bytes = bytes.len()))]
pub async fn import(
    state: &AppState,
    p: &Principal,
    zone: &str,
    bytes: Vec<u8>,
) -> ApiResult<Report> {
    state.authz.require(p, perm::MEETINGS_USE).await?;
    if bytes.is_empty() {
        return Err(ApiError::validation("file", "is empty"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(ApiError::new(
            Code::PayloadTooLarge,
            format!("a calendar file is at most {} MiB", MAX_BYTES / 1024 / 1024),
        ));
    }
    let args = serde_json::to_value(Args {
        zone: zone.to_string(),
    })
    .map_err(ApiError::internal)?;
    let budget = Budget {
        timeout: Duration::from_secs(20),
        max_output: 16 * MAX_BYTES,
    };
    let out = match state
        .convert
        .run(ics_parse::JOB, &args, bytes, budget)
        .await
    {
        Ok(out) => out,
        Err(ConvertError::Failed(reason)) => return Err(ApiError::validation("file", reason)),
        Err(ConvertError::Unavailable(e)) => {
            tracing::warn!(error = %e, "the calendar converter did not run");
            return Err(ApiError::new(
                Code::Unavailable,
                "the calendar file could not be read now; try again",
            ));
        }
    };
    let parsed: Parsed = serde_json::from_slice(&out)
        .map_err(|_| ApiError::validation("file", "the calendar file could not be read"))?;
    let mut report = Report {
        other_components: parsed.other_components,
        skipped: parsed
            .skipped
            .into_iter()
            .map(|s| Skipped {
                uid: s.uid,
                title: s.title,
                reason: s.reason,
            })
            .collect(),
        ..Report::default()
    };
    for e in parsed.events {
        if !e.uid.is_empty() {
            let mut conn = state.db.conn().await?;
            if let Some(m) = store::imported(&mut conn, &p.tenant_id, &p.user_id, &e.uid).await? {
                if meetings::service::load(&mut conn, &p.tenant_id, &m)
                    .await
                    .is_ok()
                {
                    report.already_imported += 1;
                    continue;
                }
            }
        }
        let input = Input {
            title: e.title.clone(),
            description: Some(e.description),
            location: Some(e.location),
            latitude: e.latitude,
            longitude: e.longitude,
            time_zone: e.time_zone,
            all_day: e.all_day,
            start: e.start,
            end: e.end,
            rrule: e.rrule,
            exdates: e.exdates,
            ..Input::default()
        };
        match meetings::service::create(state, p, input).await {
            Ok(v) => {
                if !e.uid.is_empty() {
                    let mut conn = state.db.conn().await?;
                    store::put_import(
                        &mut conn,
                        &p.tenant_id,
                        &p.user_id,
                        &e.uid,
                        &v.m.id,
                        now_ms(),
                    )
                    .await?;
                }
                report.imported.push(Imported {
                    uid: e.uid,
                    title: e.title,
                    meeting_id: v.m.id,
                });
            }
            Err(err) if err.status().is_client_error() && err.code != Code::Forbidden => {
                report.skipped.push(Skipped {
                    uid: e.uid,
                    title: e.title,
                    reason: err.detail_with_field(),
                })
            }
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}
