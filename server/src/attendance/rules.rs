//! The pure rules of attendance, kept apart from storage so they can be tested exactly:
//! distances on the Earth (haversine), the check-in rules, and what a day of a schedule means
//! in its zone (when it starts and ends, late, early leave, absent).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Mean Earth radius in metres (IUGG), the radius the haversine formula uses.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Degrees ↔ integers of 1e-7 degree, as stored.
pub fn to_e7(deg: f64) -> i64 {
    (deg * 1e7).round() as i64
}

pub fn from_e7(e7: i64) -> f64 {
    e7 as f64 / 1e7
}

/// Great-circle distance in metres between two points (degrees), by the haversine formula.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// A geofence: a named centre and a radius in millimetres.
#[derive(Debug, Clone)]
pub struct Fence {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_mm: i64,
}

/// Whether a point at `distance_m` is inside a radius: the boundary counts as inside
/// (distance ≤ radius, compared in millimetres).
pub fn within(distance_m: f64, radius_mm: i64) -> bool {
    distance_m * 1000.0 <= radius_mm as f64
}

/// The fence the point is in (the boundary counts as inside), or the nearest one (by how far
/// outside its circle the point is) and the distance to its centre. `None` without fences.
pub fn locate(fences: &[Fence], lat: f64, lon: f64) -> Option<(bool, &Fence, f64)> {
    let mut best: Option<(&Fence, f64, f64)> = None;
    for f in fences {
        let d = haversine_m(f.lat, f.lon, lat, lon);
        if within(d, f.radius_mm) {
            return Some((true, f, d));
        }
        let over = d - f.radius_mm as f64 / 1000.0;
        if best.is_none_or(|(_, _, bo)| over < bo) {
            best = Some((f, d, over));
        }
    }
    best.map(|(f, d, _)| (false, f, d))
}

/// A work schedule: ISO weekdays (bit d-1 for weekday d, Monday = 1), wall-clock start and
/// end in minutes after midnight in `zone`, and the minutes of grace before a check-in is late.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub zone: Tz,
    pub days: i64,
    pub start_minute: i64,
    pub end_minute: i64,
    pub grace_minutes: i64,
}

/// All seven days.
pub const ALL_DAYS: i64 = 0b111_1111;

/// The bit of an ISO weekday (1..=7).
pub fn day_bit(iso_weekday: u32) -> i64 {
    1 << (iso_weekday.saturating_sub(1))
}

/// The instant a wall-clock time of a date has in a zone. In a gap (the clock jumps forward
/// over it) the time after the gap counts; when the time happens twice (the clock goes back)
/// the first counts.
pub fn instant(zone: Tz, date: NaiveDate, minute: i64) -> i64 {
    let Some(t) = NaiveTime::from_hms_opt(0, 0, 0) else {
        return 0;
    };
    let local = date.and_time(t) + Duration::minutes(minute);
    let at = match zone.from_local_datetime(&local) {
        LocalResult::Single(d) => d,
        LocalResult::Ambiguous(a, b) => a.min(b),
        LocalResult::None => {
            // Walk forward to the first wall-clock minute that exists (gaps are ≤ a few hours).
            let mut probe = local;
            let mut found = None;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(d) = zone.from_local_datetime(&probe).earliest() {
                    found = Some(d);
                    break;
                }
            }
            match found {
                Some(d) => d,
                None => return zone.from_utc_datetime(&local).timestamp_millis(),
            }
        }
    };
    at.timestamp_millis()
}

/// The local date of an instant in a zone.
pub fn local_date(zone: Tz, at_ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

impl Schedule {
    pub fn works_on(&self, date: NaiveDate) -> bool {
        self.days & day_bit(date.weekday().number_from_monday()) != 0
    }

    /// When the day's work starts and ends (epoch ms).
    pub fn window(&self, date: NaiveDate) -> (i64, i64) {
        (
            instant(self.zone, date, self.start_minute),
            instant(self.zone, date, self.end_minute),
        )
    }
}

/// What a day is for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Checked in.
    Present,
    /// A scheduled work day that is over without a check-in, not excused.
    Absent,
    /// Excused (leave, trip, …) and not checked in.
    Excused,
    /// A scheduled work day not over yet, no check-in so far.
    Pending,
    /// Not a work day (or no schedule), no check-in.
    Off,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Absent => "absent",
            Status::Excused => "excused",
            Status::Pending => "pending",
            Status::Off => "off",
        }
    }
}

/// A day's flags, derived from the schedule, the times that count and the present moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub status: Status,
    pub scheduled: bool,
    pub late: bool,
    /// Minutes after the start (without the grace) of a late check-in.
    pub late_minutes: i64,
    pub early_leave: bool,
    pub early_minutes: i64,
    /// Checked in, the scheduled end has passed and there is no check-out.
    pub missing_check_out: bool,
    /// Minutes between check-in and check-out.
    pub worked_minutes: i64,
}

/// Judge one day. `excused`: an excused span covers it. Grace applies to the check-in only:
/// leaving a minute before the end is an early leave.
pub fn judge(
    schedule: Option<&Schedule>,
    date: NaiveDate,
    check_in: Option<i64>,
    check_out: Option<i64>,
    excused: bool,
    now: i64,
) -> Day {
    let scheduled = schedule.is_some_and(|s| s.works_on(date));
    let worked_minutes = match (check_in, check_out) {
        (Some(i), Some(o)) if o > i => (o - i) / 60_000,
        _ => 0,
    };
    let mut day = Day {
        status: Status::Off,
        scheduled,
        late: false,
        late_minutes: 0,
        early_leave: false,
        early_minutes: 0,
        missing_check_out: false,
        worked_minutes,
    };
    let window = schedule.filter(|_| scheduled).map(|s| (s, s.window(date)));
    match check_in {
        Some(ci) => {
            day.status = Status::Present;
            if let Some((s, (start, end))) = window {
                if ci > start + s.grace_minutes * 60_000 {
                    day.late = true;
                    day.late_minutes = (ci - start) / 60_000;
                }
                match check_out {
                    Some(co) if co < end => {
                        day.early_leave = true;
                        day.early_minutes = (end - co + 59_999) / 60_000;
                    }
                    Some(_) => {}
                    None => day.missing_check_out = now > end,
                }
            }
        }
        None => {
            day.status = if excused {
                Status::Excused
            } else {
                match window {
                    Some((_, (_, end))) if now > end => Status::Absent,
                    Some(_) => Status::Pending,
                    None => Status::Off,
                }
            };
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn haversine_known_distance() {
        // One degree of latitude ≈ 111.2 km.
        let d = haversine_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
        assert_eq!(haversine_m(10.0, 106.0, 10.0, 106.0), 0.0);
    }

    #[test]
    fn boundary_is_inside() {
        let f = Fence {
            name: "HQ".into(),
            lat: 10.7769,
            lon: 106.7009,
            radius_mm: 0,
        };
        // A point 0.0009° north (about 100 m): the radius at its distance, to the millimetre.
        let (lat, lon) = (from_e7(to_e7(10.7778)), 106.7009);
        let d = haversine_m(f.lat, f.lon, lat, lon);
        let mm = (d * 1000.0).ceil() as i64;
        let fences = vec![Fence { radius_mm: mm, ..f }];
        assert!(locate(&fences, lat, lon).unwrap().0);
        let fences = vec![Fence {
            radius_mm: mm - 1,
            ..fences[0].clone()
        }];
        let (inside, _, dist) = locate(&fences, lat, lon).unwrap();
        assert!(!inside && (dist - d).abs() < 1e-9);
        assert!(within(100.0, 100_000) && !within(100.0005, 100_000));
    }

    fn ny() -> Schedule {
        Schedule {
            zone: chrono_tz::America::New_York,
            days: ALL_DAYS,
            start_minute: 9 * 60,
            end_minute: 17 * 60,
            grace_minutes: 5,
        }
    }

    #[test]
    fn lateness_follows_the_zone_across_dst() {
        let s = ny();
        // 2026-03-08: clocks go forward. Before: 09:00 EST = 14:00Z; after: 09:00 EDT = 13:00Z.
        let before = date("2026-03-06");
        let after = date("2026-03-09");
        assert_eq!(s.window(before).0, ms("2026-03-06T14:00:00Z"));
        assert_eq!(s.window(after).0, ms("2026-03-09T13:00:00Z"));
        let now = ms("2026-04-01T00:00:00Z");
        let d = judge(
            Some(&s),
            after,
            Some(ms("2026-03-09T13:10:00Z")),
            None,
            false,
            now,
        );
        assert!(d.late && d.late_minutes == 10);
        let d = judge(
            Some(&s),
            before,
            Some(ms("2026-03-06T14:04:00Z")),
            None,
            false,
            now,
        );
        assert!(!d.late);
    }

    #[test]
    fn gaps_take_the_time_after() {
        // 02:30 does not exist in New York on 2026-03-08.
        let at = instant(chrono_tz::America::New_York, date("2026-03-08"), 150);
        assert_eq!(at, ms("2026-03-08T07:00:00Z"));
    }

    #[test]
    fn absent_only_after_the_day_ends_and_not_when_excused() {
        let s = Schedule {
            zone: chrono_tz::Asia::Ho_Chi_Minh,
            ..ny()
        };
        let d = date("2026-03-02");
        // 17:00 in Ho Chi Minh City (UTC+7) is 10:00Z.
        let end = ms("2026-03-02T10:00:00Z");
        assert_eq!(
            judge(Some(&s), d, None, None, false, end - 1).status,
            Status::Pending
        );
        assert_eq!(
            judge(Some(&s), d, None, None, false, end + 1).status,
            Status::Absent
        );
        assert_eq!(
            judge(Some(&s), d, None, None, true, end + 1).status,
            Status::Excused
        );
        assert_eq!(
            judge(None, d, None, None, false, end + 1).status,
            Status::Off
        );
        let early = judge(
            Some(&s),
            d,
            Some(ms("2026-03-02T01:50:00Z")),
            Some(ms("2026-03-02T09:30:00Z")),
            false,
            end + 1,
        );
        assert!(!early.late && early.early_leave && early.early_minutes == 30);
        assert_eq!(early.worked_minutes, 460);
    }
}
