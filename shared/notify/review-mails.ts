// Mails to reviewers: "a review waits for you" when an instance starts, a reminder halfway. One per
// reviewer and kind; a delivery that already went out (the activity re-run after a crash) is not
// sent again. Each carries the reviewer's own signed link to the decision page.
import { createHash } from 'node:crypto';
import { now } from '../clock';
import { linksConfigured } from './approval-links';
import { person } from './facts';
import { escapeHtml } from './html';
import { mailConfigured, sendMail } from './mail';
import { mintReviewToken, reviewLinkUrl } from './review-links';
import { notifyTable, statusCode } from './tables';

export interface ReviewMail {
  kind: 'started' | 'reminder';
  definitionId: string;
  instanceId: string;
  reviewName: string;
  descriptionForReviewers: string | null;
  endDateTime: string;
  /** How many items wait for this reviewer. */
  pending: number;
}

const idOf = (instanceId: string, kind: string, reviewerId: string) =>
  createHash('sha256').update(`review|${instanceId}|${kind}|${reviewerId}`).digest('hex').slice(0, 32);

async function sent(instanceId: string, id: string): Promise<boolean> {
  try {
    await (await notifyTable('deliveries')).getEntity(instanceId, id);
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

/** Sends the mail to one reviewer unless it went out before; false when there is no address. */
export async function mailReviewer(reviewerId: string, mail: ReviewMail): Promise<boolean> {
  if (!mailConfigured()) return false;
  const id = idOf(mail.instanceId, mail.kind, reviewerId);
  if (await sent(mail.instanceId, id)) return true;
  const reviewer = await person(reviewerId);
  if (!reviewer.email) return false;
  const link = linksConfigured()
    ? reviewLinkUrl(
        await mintReviewToken(
          { reviewerId, definitionId: mail.definitionId, instanceId: mail.instanceId },
          now(),
          new Date(mail.endDateTime),
        ),
      )
    : undefined;
  const subject =
    mail.kind === 'started'
      ? `Access review: ${mail.reviewName}`
      : `Reminder: access review ${mail.reviewName} ends ${mail.endDateTime.slice(0, 10)}`;
  const lines = [
    `${reviewer.displayName ?? 'Hello'},`,
    '',
    `You are asked to review ${mail.pending} assignment${mail.pending === 1 ? '' : 's'} in "${mail.reviewName}" by ${mail.endDateTime}.`,
    ...(mail.descriptionForReviewers ? ['', mail.descriptionForReviewers] : []),
    '',
    link ? `Review: ${link}` : 'Review in the portal under Access reviews.',
  ];
  const text = lines.join('\n');
  const html = `<p>${lines.map((l) => (l.startsWith('Review: ') && link ? `<a href="${escapeHtml(link)}">Review now</a>` : escapeHtml(l))).join('<br>')}</p>`;
  await sendMail([reviewer.email], { subject, text, html }, id);
  await (await notifyTable('deliveries')).upsertEntity(
    { partitionKey: mail.instanceId, rowKey: id, sentDateTime: now().toISOString() },
    'Replace',
  );
  return true;
}
