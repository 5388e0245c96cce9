//! SQL for each tenant's registration settings.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    pub mode: String,
    pub by_email: i64,
    pub by_phone: i64,
    pub email_domains: String,
    pub default_role_id: Option<String>,
    pub phone_sign_in: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

impl Default for RegistrationRow {
    fn default() -> Self {
        RegistrationRow {
            mode: "invitation".into(),
            by_email: 0,
            by_phone: 0,
            email_domains: String::new(),
            default_role_id: None,
            phone_sign_in: 0,
            updated_by: String::new(),
            updated_at: 0,
        }
    }
}

pub async fn registration(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<RegistrationRow, sqlx::Error> {
    Ok(sqlx::query_as(
        "select mode, by_email, by_phone, email_domains, default_role_id, phone_sign_in,
                updated_by, updated_at
         from registration_settings where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

pub async fn put_registration(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RegistrationRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into registration_settings (tenant_id, mode, by_email, by_phone, email_domains,
                                            default_role_id, phone_sign_in, updated_by, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (tenant_id) do update set mode = excluded.mode,
           by_email = excluded.by_email, by_phone = excluded.by_phone,
           email_domains = excluded.email_domains, default_role_id = excluded.default_role_id,
           phone_sign_in = excluded.phone_sign_in, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&r.mode)
    .bind(r.by_email)
    .bind(r.by_phone)
    .bind(&r.email_domains)
    .bind(r.default_role_id.clone())
    .bind(r.phone_sign_in)
    .bind(&r.updated_by)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}
