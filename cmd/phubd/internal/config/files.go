package config

// checkFiles reads what the node will read at start (the secret and its
// length, the admin token file, the TLS files), so that a bad value is a
// configuration error of Load rather than a failed start.
func (c *Config) checkFiles() error {
	if _, err := c.ReadSecret(); err != nil {
		return err
	}
	if _, err := c.ReadAdminToken(); err != nil {
		return err
	}
	_, err := c.TLSConfig()
	return err
}
