// The time slider: a range over the ledger's positions, from its first event to the head; its right-hand end is live.
import { formatInstant } from './format.js';
import { sliderValueOf } from './moment.js';

export interface TimeSliderElements {
  readonly input: HTMLInputElement;
  /** Where the slider stands, in words. */
  readonly moment: HTMLOutputElement;
  readonly backToLive: HTMLButtonElement;
}

/** What the slider stands at: live, or a past position (with the time its event was recorded, when known). */
export type SliderMoment = { readonly live: true } | { readonly live: false; readonly position: string; readonly recordedAt?: string };

export class TimeSlider {
  private first = '1';
  private head = '0';
  private moment: SliderMoment = { live: true };

  /** `onMove` gets each position the reader moves to as it happens (undefined: back to live); the caller coalesces. */
  constructor(
    private readonly elements: TimeSliderElements,
    onMove: (position: string | undefined) => void,
  ) {
    elements.input.addEventListener('input', () => {
      const value = Number(elements.input.value);
      const live = value >= sliderValueOf(this.head);
      const position = live ? undefined : String(value);
      this.show(live ? { live: true } : { live: false, position: String(value) }, true);
      onMove(position);
    });
    elements.backToLive.addEventListener('click', () => {
      this.show({ live: true });
      onMove(undefined);
      // The button goes once the view is live; the slider keeps the reader's place.
      elements.input.focus();
    });
  }

  /** The positions the slider spans; at the live end it follows the head. */
  setSpan(first: string, head: string): void {
    this.first = first;
    this.head = head;
    this.show(this.moment);
  }

  /** Stands the slider where the page's figures are. */
  show(moment: SliderMoment, moving = false): void {
    this.moment = moment;
    const { input, moment: output, backToLive } = this.elements;
    const max = Math.max(sliderValueOf(this.head), sliderValueOf(this.first));
    input.min = String(Math.min(sliderValueOf(this.first), max));
    input.max = String(max);
    input.value = String(moment.live ? max : sliderValueOf(moment.position));
    const text = this.describe(moment, moving);
    input.setAttribute('aria-valuetext', text);
    output.textContent = text;
    output.dataset.position = moment.live ? this.head : moment.position;
    if (!moment.live && moment.recordedAt !== undefined) output.dataset.recordedAt = moment.recordedAt;
    else delete output.dataset.recordedAt;
    backToLive.hidden = moment.live;
  }

  private describe(moment: SliderMoment, moving: boolean): string {
    if (moment.live) return `Live: the latest position, ${this.head}`;
    const recorded = moment.recordedAt === undefined ? '' : `, recorded ${formatInstant(moment.recordedAt)}`;
    return `Position ${moment.position} of ${this.head}${recorded}${moving ? '…' : ''}`;
  }
}
