import { useTranslation } from 'react-i18next';
import { Page } from '../components/Page';

export function Settings() {
  const { t } = useTranslation();
  return <Page title={t('nav.settings')}>{t('common.soon')}</Page>;
}
