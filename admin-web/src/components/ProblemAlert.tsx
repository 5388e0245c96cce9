import { Alert, Code, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** A server problem shown with its detail (and request id to quote), never a blank page. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const p = error instanceof ApiError ? error.problem : { detail: error instanceof Error ? error.message : String(error) };
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <Alert color="red" variant="light" title={title ?? p.title ?? t('common.error')} role="alert" data-testid="problem">
      <Text size="sm">{p.detail || (status === 0 ? t('common.network') : t('common.error'))}</Text>
      {(p.code || p.request_id) && (
        <Text size="xs" c="dimmed" mt={4}>
          {p.code && <Code>{p.code}</Code>} {p.field && <>· {p.field}</>}{' '}
          {p.request_id && (
            <>
              · {t('common.requestId')} <Code>{p.request_id}</Code>
            </>
          )}
        </Text>
      )}
    </Alert>
  );
}
