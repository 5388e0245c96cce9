import { Badge, Button } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../api/client';
import { DataTable } from './DataTable';
import { DateTime } from './DateTime';

/** Live sessions (device, address, last seen, end) with a button to end each but the current one. */
export function SessionsTable({
  sessions,
  onEnd,
  ending,
  label,
}: {
  sessions: Schemas['SessionInfo'][];
  onEnd: (s: Schemas['SessionInfo']) => void;
  ending?: string;
  label: string;
}) {
  const { t } = useTranslation();
  return (
    <DataTable
      rows={sessions}
      rowKey={(x) => x.id}
      label={label}
      minWidth={600}
      columns={[
        {
          key: 'device',
          header: t('account.device'),
          render: (x) => (
            <>
              {x.device}{' '}
              {x.current && (
                <Badge size="xs" variant="light">
                  {t('account.this')}
                </Badge>
              )}
            </>
          ),
        },
        { key: 'ip', header: t('account.address'), render: (x) => x.ip },
        { key: 'seen', header: t('account.lastSeen'), render: (x) => <DateTime value={x.last_seen_at} /> },
        { key: 'expires', header: t('account.expires'), render: (x) => <DateTime value={x.expires_at} /> },
        {
          key: 'end',
          header: '',
          render: (x) =>
            !x.current && (
              <Button size="compact-xs" variant="light" color="red" loading={ending === x.id} onClick={() => onEnd(x)}>
                {t('account.end')}
              </Button>
            ),
        },
      ]}
    />
  );
}
