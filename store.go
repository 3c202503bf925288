package deconflict

import (
	"context"
	"time"
)

// PendingAck is one party's outstanding duty to acknowledge a message.
type PendingAck struct {
	Channel  string    `json:"channel"`
	Index    int64     `json:"index"` // the message's index
	Party    string    `json:"party"` // who must acknowledge
	Deadline time.Time `json:"deadline"`
	AckIndex *int64    `json:"ack_index,omitempty"` // the acknowledgement's index, once made
	Missed   bool      `json:"missed"`              // a missed-ack record names this party
	// Seen is when the node logged that Party fetched the message (a seen
	// envelope); nil if it never did. Filled by the node from its log,
	// not kept by stores.
	Seen *time.Time `json:"seen,omitempty"`
}

// AckMark records that Party acknowledged message Index at AckIndex.
type AckMark struct {
	Index, AckIndex int64
	Party           string
}

// WebhookJob is a call owed to an escalation webhook; the node retries it
// with backoff until it succeeds or runs out of attempts.
type WebhookJob struct {
	ID       int64     `json:"id"`
	Channel  string    `json:"channel"`
	URL      string    `json:"url"`
	Body     []byte    `json:"body"`
	Attempts int       `json:"attempts"`
	NextTry  time.Time `json:"next_try"`
	Done     bool      `json:"done"`
	LastErr  string    `json:"last_error,omitempty"`
}

// AlertJob is an alert owed to the channels two parties share: the live
// picture writes it to a durable outbox first, then posts it to each of
// those channels, so that no alert is lost to a full queue or a restart.
type AlertJob struct {
	ID             int64     `json:"id"`
	PartyA, PartyB string    // the encounter's parties
	Payload        []byte    // JSON of the deconflict.Payload to post; its channel, id and time are set per channel
	Created        time.Time // when the alert was raised; the posted envelopes' time
	// Key, when not empty, names the alert whatever replica raised it
	// (derived from the encounter, never from a replica's own counters or
	// clock): the outbox takes one alert per key, so replicas that raise
	// the same alert queue it once.
	Key string `json:"key,omitempty"`
}

// MaxIncidentOpen is how long an incident recorded open (OpenIncident)
// is held against a new one for the same encounter: past it the record
// is taken as left over by replicas that stopped before the encounter
// closed.
const MaxIncidentOpen = 12 * time.Hour

// Batch is everything one append changes in a channel, written in one
// transaction: envelopes, their log hashes, the new checkpoint and the
// acknowledgement book-keeping they imply.
type Batch struct {
	Channel    string
	Envelopes  []*Envelope // consecutive indexes from the log's current size
	Hashes     []HashAt    // new stored hashes of the Merkle log
	TreeSize   int64       // log size after the batch
	Checkpoint []byte      // signed checkpoint of TreeSize
	Pending    []PendingAck
	Acked      []AckMark
	Missed     []PendingAck // marks these (channel, index, party) as reported missed
	Webhooks   []WebhookJob
	// Policy, when set, replaces the channel's policy in the same
	// transaction: the batch holds the node-signed policy envelope that
	// records the change.
	Policy *Policy
	// Keys, when set, are the party-key changes of a key log batch
	// (Channel KeyLog), applied in the same transaction.
	Keys *KeyChanges
	// Attached are the SHA-256s of the blobs of Channel the batch's
	// envelopes attach, marked attached in the same transaction, so that
	// ForgetBlobs never forgets them. EUNAVAILABLE if the channel no
	// longer holds one (forgotten since the envelope was checked).
	Attached [][32]byte
}

// ConsoleSession is a web console sign-in as stored: the SHA-256 of its
// cookie's token (never the token itself, so that a copy of the store
// signs no one in), the officer, the party it acts for, and when it
// ends. A session is revoked by deleting it.
type ConsoleSession struct {
	TokenHash [32]byte
	Username  string
	Party     string
	// Credential identifies the password the officer signed in with
	// (the console's digest of its salt): a new password ends the
	// sessions made with the old one.
	Credential string
	Created    time.Time
	Expires    time.Time
}

// HashAt is one stored hash of the Merkle log at its storage index.
type HashAt struct {
	Index int64
	Hash  [32]byte
}

// Store is the node's storage. Implementations pass storetest.Run.
type Store interface {
	PartyService
	ChannelService

	// Append writes a batch in one durable transaction. ECONFLICT if the
	// first envelope's index is not the log's size or an id is taken.
	Append(ctx context.Context, b *Batch) error
	// LogSize returns the number of envelopes in a channel's log.
	LogSize(ctx context.Context, channel string) (int64, error)
	// FindEnvelope returns the envelope at index. ENOTFOUND if none.
	FindEnvelope(ctx context.Context, channel string, index int64) (*Envelope, error)
	// FindEnvelopesByID returns the envelopes among ids that exist, by id.
	FindEnvelopesByID(ctx context.Context, channel string, ids []string) (map[string]*Envelope, error)
	// FindEnvelopeByLeafHash returns the envelope whose leaf hash is h. ENOTFOUND if none.
	FindEnvelopeByLeafHash(ctx context.Context, channel string, h [32]byte) (*Envelope, error)
	// FindEnvelopes returns up to limit envelopes with index >= from, in order.
	FindEnvelopes(ctx context.Context, channel string, from int64, limit int) ([]*Envelope, error)
	// ReadHashes returns the stored log hashes at the given storage indexes.
	// ENOTFOUND if one is missing.
	ReadHashes(ctx context.Context, channel string, indexes []int64) ([][32]byte, error)
	// Checkpoint returns the latest signed checkpoint and its size; nil, 0
	// for a channel with an empty log.
	Checkpoint(ctx context.Context, channel string) ([]byte, int64, error)

	// PendingAcks returns the acknowledgement duties on channel: for party
	// only when party is not "", and only unacknowledged ones when open.
	PendingAcks(ctx context.Context, channel, party string, open bool) ([]PendingAck, error)
	// AckStatus returns the duties attached to one message.
	AckStatus(ctx context.Context, channel string, index int64) ([]PendingAck, error)
	// DueAcks returns unacknowledged, unreported duties whose deadline is at
	// or before now, across all channels, ordered by channel and index.
	DueAcks(ctx context.Context, now time.Time) ([]PendingAck, error)

	// DueWebhooks returns up to limit undone webhook jobs due at now.
	DueWebhooks(ctx context.Context, now time.Time, limit int) ([]WebhookJob, error)
	// UpdateWebhook records an attempt's outcome.
	UpdateWebhook(ctx context.Context, j *WebhookJob) error

	// QueueAlert writes an alert to the outbox and sets j.ID. ECONFLICT,
	// writing nothing, if the outbox already holds (or has posted) an
	// alert with j's non-empty Key.
	QueueAlert(ctx context.Context, j *AlertJob) error
	// DueAlerts returns up to limit alerts not yet posted, oldest first.
	DueAlerts(ctx context.Context, limit int) ([]AlertJob, error)
	// AlertPosted marks an alert posted. ENOTFOUND if there is no such alert.
	AlertPosted(ctx context.Context, id int64) error

	// OpenIncident records incident as the incident open for the
	// encounter named encounter (its kind and tracks, never its time),
	// unless one is recorded open for it already, opened less than
	// MaxIncidentOpen before opened: it returns the incident open for the
	// encounter, incident or the one recorded before. Replicas whose
	// engines opened one encounter at different reports so agree on its
	// incident.
	OpenIncident(ctx context.Context, encounter, incident string, opened time.Time) (string, error)
	// CloseIncident ends the record of incident as open for encounter;
	// nothing (and no error) if it is not the one recorded.
	CloseIncident(ctx context.Context, encounter, incident string) error

	// SaveIncidentTrack stores a track of an incident, replacing what was
	// stored for the same incident and track. EINVALID if it has more than
	// MaxIncidentTrackPoints points or no incident or track identity.
	SaveIncidentTrack(ctx context.Context, t *IncidentTrack) error
	// FindIncidentTracks returns the stored tracks of an incident, ordered
	// by track identity; none (and no error) when it has none.
	FindIncidentTracks(ctx context.Context, incident string) ([]IncidentTrack, error)

	// UseNonce records that the signed write request with digest was
	// accepted, remembering it until expires (after which the request's
	// time is outside the node's window anyway). ECONFLICT if digest was
	// recorded before: the request is a replay. Entries expired at now are
	// forgotten.
	UseNonce(ctx context.Context, digest [32]byte, now, expires time.Time) error

	// CreateZone stores a declared zone. ECONFLICT if its id is taken.
	CreateZone(ctx context.Context, z *Zone) error
	// DeleteZone removes a zone. ENOTFOUND if none has that id.
	DeleteZone(ctx context.Context, id string) error
	// FindZones returns the declared zones, ordered by id.
	FindZones(ctx context.Context) ([]*Zone, error)
	// SetAssets replaces the assets party declares as its own, keeping
	// their order. ENOTFOUND if the party is not registered.
	SetAssets(ctx context.Context, party string, a *Assets) error
	// FindAssets returns every party's declared assets, by party.
	FindAssets(ctx context.Context) (map[string]Assets, error)

	// PutBlob stores b.Data under its SHA-256 (once, however often it is
	// uploaded, to whichever channels) and makes it readable on channel
	// with media type b.Type, setting b.Created to when it first became
	// readable there. Putting a blob the channel holds already, with the
	// same type, changes nothing. EINVALID if b.SHA256 is not the hash of
	// b.Data or b.Size not its length; ECONFLICT if channel holds the blob
	// under another type; ENOTFOUND if the channel does not exist.
	PutBlob(ctx context.Context, channel string, b *Blob) error
	// StatBlob returns the blob readable on channel with that SHA-256,
	// without its bytes. ENOTFOUND if the channel holds no such blob.
	StatBlob(ctx context.Context, channel string, sum [32]byte) (*Blob, error)
	// ReadBlob is StatBlob with the bytes.
	ReadBlob(ctx context.Context, channel string, sum [32]byte) (*Blob, error)
	// BlobBytes returns the bytes of every blob stored, each counted once.
	BlobBytes(ctx context.Context) (int64, error)
	// ForgetBlobs removes, on every channel, the blobs uploaded before
	// before that no envelope attaches (Batch.Attached), then the bytes of
	// the blobs no channel holds any more, and returns how many bytes
	// that freed.
	ForgetBlobs(ctx context.Context, before time.Time) (int64, error)

	// CreateSession stores a console session, forgetting the sessions
	// expired at s.Created. ECONFLICT if its token hash is stored already.
	CreateSession(ctx context.Context, s *ConsoleSession) error
	// FindSession returns the console session whose token hash is h and
	// that has not expired at now. ENOTFOUND if there is none (never
	// stored, revoked or expired).
	FindSession(ctx context.Context, h [32]byte, now time.Time) (*ConsoleSession, error)
	// DeleteSession revokes the console session whose token hash is h.
	// ENOTFOUND if there is none.
	DeleteSession(ctx context.Context, h [32]byte) error
	// DeleteUserSessions revokes every console session of username and
	// returns how many there were.
	DeleteUserSessions(ctx context.Context, username string) (int, error)

	// Meta reads a node-level setting (node name). ENOTFOUND if unset.
	Meta(ctx context.Context, key string) (string, error)
	// SetMeta writes a node-level setting.
	SetMeta(ctx context.Context, key, value string) error

	Close() error
}
