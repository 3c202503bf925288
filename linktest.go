package deconflict

import "time"

// DefaultLinkTestInterval is how often the node tests each channel's link
// when the channel's policy does not say: hourly, as the Washington-Moscow
// direct communications link has been tested since 1963.
const DefaultLinkTestInterval = time.Hour

// DefaultLinkTestWithin is how soon a member must answer a link test for
// the answer to count towards its availability (proposed: a console or a
// watching client answers within seconds; a minute leaves room for a slow
// network and a reconnecting client).
const DefaultLinkTestWithin = time.Minute

// DefaultAvailabilityPeriod is the period availability is computed over
// when none is given (the API's default, the /metrics figures).
const DefaultAvailabilityPeriod = 24 * time.Hour

// LinkTestBody is the body of a node-signed link-test envelope.
type LinkTestBody struct {
	// Seq numbers the channel's link tests from 1.
	Seq int64 `json:"seq"`
	// Interval is the channel's link test interval when the test was sent.
	Interval Duration `json:"interval"`
	// Within is how soon an answer must follow the test to count: an
	// answer the node receives at most Within after it logged the test.
	Within Duration `json:"within"`
}

// LinkResultBody is the body of a node-signed link-result envelope, which
// the node logs once a link test's time to answer is over: who answered
// in time, with the index of the answer and how long after the test the
// node received it, and who did not (no answer yet, or none at all).
type LinkResultBody struct {
	Within   Duration     `json:"within"`
	Answered []LinkAnswer `json:"answered"`
	Missing  []string     `json:"missing"`
}

// LinkAnswer is one party's answer to a link test as a link-result
// states it.
type LinkAnswer struct {
	Party   string `json:"party"`
	Index   int64  `json:"index"`    // the link-answer envelope's index
	DelayMS int64  `json:"delay_ms"` // from the test's receipt to the answer's, in milliseconds
}

// LinkTestInterval returns the interval of the channel's link tests; 0:
// the channel is not tested.
func (p *Policy) LinkTestInterval() time.Duration {
	if p.LinkTest != nil {
		return max(time.Duration(*p.LinkTest), 0)
	}
	return DefaultLinkTestInterval
}

// LinkTestAnswerWithin returns how soon an answer to a link test must
// reach the node to count.
func (p *Policy) LinkTestAnswerWithin() time.Duration {
	if p.LinkTestWithin != nil && *p.LinkTestWithin > 0 {
		return time.Duration(*p.LinkTestWithin)
	}
	return DefaultLinkTestWithin
}
