// Review access: the access reviews that ask me, one table per running review, each assignment with
// its recommendation and my decision (approve, deny, don't know; a justification when I give one).
import {
  Button,
  Input,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { formatDateTime } from '../api/duration';
import { type DecisionItem, type MyReview, reviews } from '../api/reviews';
import { ErrorBar } from '../components/ErrorBar';
import { Page } from '../components/Page';
import { useLoad } from '../components/useLoad';

const useStyles = makeStyles({
  review: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
});

export function Reviews() {
  const mine = useLoad(() => reviews.mine());
  return (
    <Page
      title="Review access"
      description="Access reviews that ask you whether people still need their roles."
    >
      <ErrorBar error={mine.error} />
      {!mine.value ? (
        mine.error ? null : (
          <Spinner label="Loading reviews" />
        )
      ) : mine.value.length === 0 ? (
        <Text>No access review waits for you.</Text>
      ) : (
        mine.value.map((r) => <ReviewTable key={r.instance.id} review={r} onChange={mine.reload} />)
      )}
    </Page>
  );
}

function ReviewTable({ review, onChange }: { review: MyReview; onChange(): Promise<void> }) {
  const styles = useStyles();
  return (
    <div className={styles.review}>
      <Text as="h2" size={500} weight="semibold">
        {review.definition.displayName}
      </Text>
      <Text>
        {review.definition.descriptionForReviewers ?? ''} Decide by{' '}
        {formatDateTime(review.instance.endDateTime)}.
      </Text>
      <Table aria-label={`Assignments to review in ${review.definition.displayName}`}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Who</TableHeaderCell>
            <TableHeaderCell>Role or group</TableHeaderCell>
            <TableHeaderCell>Assignment</TableHeaderCell>
            <TableHeaderCell>Recommendation</TableHeaderCell>
            <TableHeaderCell>Decision</TableHeaderCell>
            <TableHeaderCell>Action</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {review.items.map((item) => (
            <ItemRow key={item.id} review={review} item={item} onChange={onChange} />
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

function ItemRow({
  review,
  item,
  onChange,
}: {
  review: MyReview;
  item: DecisionItem;
  onChange(): Promise<void>;
}) {
  const styles = useStyles();
  const [justification, setJustification] = useState(item.justification ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const who = item.principal.displayName ?? item.principal.id;
  const decide = async (decision: 'Approve' | 'Deny' | 'DontKnow') => {
    setBusy(true);
    setError(undefined);
    try {
      await reviews.decide(review, item, decision, justification.trim());
      await onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <TableRow>
      <TableCell>{who}</TableCell>
      <TableCell>{item.resource.displayName ?? item.resource.id}</TableCell>
      <TableCell>{item.assignmentType === 'eligible' ? 'Eligible' : 'Active'}</TableCell>
      <TableCell>{item.recommendation}</TableCell>
      <TableCell>{item.decision === 'NotReviewed' ? 'Not reviewed' : item.decision}</TableCell>
      <TableCell>
        <div className={styles.actions}>
          <Input
            size="small"
            value={justification}
            onChange={(_, d) => setJustification(d.value)}
            placeholder="Justification"
            aria-label={`Justification for ${who}`}
            maxLength={1000}
          />
          <Button
            size="small"
            appearance="primary"
            disabled={busy}
            onClick={() => decide('Approve')}
            aria-label={`Approve ${who}`}
          >
            Approve
          </Button>
          <Button size="small" disabled={busy} onClick={() => decide('Deny')} aria-label={`Deny ${who}`}>
            Deny
          </Button>
          <Button
            size="small"
            appearance="subtle"
            disabled={busy}
            onClick={() => decide('DontKnow')}
            aria-label={`Don't know about ${who}`}
          >
            Don't know
          </Button>
        </div>
        <ErrorBar error={error} />
      </TableCell>
    </TableRow>
  );
}
