package phub

import "fmt"

// advertiser is implemented by transports that know the address peers
// reach them at (transport.TCP).
type advertiser interface {
	AdvertiseAddr() string
}

// adoptAdvertiseAddr makes one address setting serve both core and the
// transport: an empty Core.AdvertiseAddr takes the transport's advertise
// address. Without it, a node that seeds (or is seeded) by address is not
// recognised as that seed and waits DownAfter before it serves requests.
// Two different non-empty addresses are a configuration error.
func adoptAdvertiseAddr(c *Config) error {
	a, ok := c.Transport.(advertiser)
	if !ok {
		return nil
	}
	tr := a.AdvertiseAddr()
	switch {
	case tr == "":
	case c.Core.AdvertiseAddr == "":
		c.Core.AdvertiseAddr = tr
	case c.Core.AdvertiseAddr != tr:
		return fmt.Errorf("phub: config: Core.AdvertiseAddr %q differs from the transport's advertise address %q: %w",
			c.Core.AdvertiseAddr, tr, ErrAdvertiseAddrMismatch)
	}
	return nil
}
