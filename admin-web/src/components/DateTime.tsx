import { useTranslation } from 'react-i18next';
import { adminZone, formatDateTime } from '../format';

export function DateTime({ value }: { value: string | null | undefined }) {
  const { i18n } = useTranslation();
  if (!value) return <>—</>;
  return (
    <time dateTime={value} title={`${value} (${adminZone()})`}>
      {formatDateTime(value, i18n.resolvedLanguage ?? 'en')}
    </time>
  );
}
