// The activation orchestration's contract, imported by both sides: the service that starts and
// signals it (shared/services/activation*.ts) and the orchestrator with its activities
// (orchestrations/activation*.ts). Names and payloads are typed here once.
//
// The truth lives in the request's rows; the orchestration only keeps time. Every command commits
// its change first and then tells the orchestration the request's new state (StateChanged); when a
// deadline passes, the orchestration asks the service to act (timeOut, expire), and the service
// answers with the state as committed, so a lost or late event never loses a decision.
import type { ActivationState } from './activation';

export const ACTIVATION_ORCHESTRATOR = 'activation';

export interface ActivationInput {
  requestId: string;
  principalId: string;
  /** The request as committed when the orchestration was started. */
  state: ActivationState;
  /** How long before the end the "expiring soon" reminder goes out. */
  reminderBeforeEndMs: number;
}

/** External events and their payloads. */
export interface ActivationEvents {
  /** The request moved on (granted, extended, ended, decided, canceled...): its new state. */
  StateChanged: ActivationState;
}
export type ActivationEventName = keyof ActivationEvents;
export const ActivationEvent: { readonly [K in ActivationEventName]: K } = { StateChanged: 'StateChanged' };

/** Input of the orchestration's steps: which request (and whose partition it is in). */
export interface StepInput {
  requestId: string;
  principalId: string;
}

/** The orchestration's activities: name, input and result of each. */
export interface ActivationSteps {
  /** The pending step's deadline passed: time the request out unless it moved on. */
  timeOut: { input: StepInput; output: ActivationState };
  /** The window's end came: revoke unless it was extended or has ended already. */
  expire: { input: StepInput; output: ActivationState };
  /** Send the "expiring soon" notice for the window ending at `endDateTime`. */
  remind: { input: StepInput & { endDateTime: string }; output: null };
}
export type ActivationStepName = keyof ActivationSteps;
export const ActivationStep: { readonly [K in ActivationStepName]: string } = {
  timeOut: 'activation-timeOut',
  expire: 'activation-expire',
  remind: 'activation-remind',
};
