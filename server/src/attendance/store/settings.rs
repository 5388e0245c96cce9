//! Attendance settings: the tenant's rules, geofences and networks.

use super::*;
use sqlx::AnyConnection;

pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<SettingsRow, sqlx::Error> {
    Ok(sqlx::query_as(
        "select geofence_required, network_required, updated_by, updated_at
         from attendance_settings where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

pub async fn set_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &SettingsRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_settings
           (tenant_id, geofence_required, network_required, updated_by, updated_at)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id) do update set geofence_required = excluded.geofence_required,
           network_required = excluded.network_required, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(s.geofence_required)
    .bind(s.network_required)
    .bind(&s.updated_by)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn geofences(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<GeofenceRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, latitude_e7, longitude_e7, radius_mm from attendance_geofences
         where tenant_id = $1 order by name, id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn networks(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<NetworkRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, cidr, label from attendance_networks where tenant_id = $1
         order by cidr, id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Replace the tenant's geofences and networks with these.
pub async fn replace_places(
    conn: &mut AnyConnection,
    tenant_id: &str,
    fences: &[GeofenceRow],
    nets: &[NetworkRow],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from attendance_geofences where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from attendance_networks where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    for f in fences {
        sqlx::query(
            "insert into attendance_geofences (tenant_id, id, name, latitude_e7, longitude_e7,
               radius_mm, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(tenant_id)
        .bind(&f.id)
        .bind(&f.name)
        .bind(f.latitude_e7)
        .bind(f.longitude_e7)
        .bind(f.radius_mm)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    for n in nets {
        sqlx::query(
            "insert into attendance_networks (tenant_id, id, cidr, label, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(tenant_id)
        .bind(&n.id)
        .bind(&n.cidr)
        .bind(&n.label)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
