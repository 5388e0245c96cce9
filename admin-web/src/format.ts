// Dates and times in the admin's zone: the zone chosen in the header (kept in localStorage), or
// the browser's.
const ZONE_KEY = 'stoa.admin.zone';

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function adminZone(): string {
  try {
    const z = localStorage.getItem(ZONE_KEY);
    if (z) {
      new Intl.DateTimeFormat('en', { timeZone: z });
      return z;
    }
  } catch {
    // an unknown zone falls back to the browser's
  }
  return browserZone();
}

export function setAdminZone(zone: string | null) {
  if (zone) localStorage.setItem(ZONE_KEY, zone);
  else localStorage.removeItem(ZONE_KEY);
}

export function formatDateTime(iso: string | null | undefined, lang: string, zone = adminZone()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(d);
}

export function formatBytes(n: number | null | undefined, lang: string): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(v)} ${units[i]}`;
}

export function formatNumber(n: number | null | undefined, lang: string): string {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat(lang).format(n);
}
