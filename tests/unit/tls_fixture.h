/* SPDX-License-Identifier: MIT */
/* Test PKI for TLS unit tests (openssl, P-256 and RSA-2048, 100 years). */
#ifndef KEEL_TLS_FIXTURE_H
#define KEEL_TLS_FIXTURE_H

/* CA "keel unit test CA" and a second, unrelated CA. */
static const char fx_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBnzCCAUWgAwIBAgIUZlOGX8+L/LDRfxWyg1oHur7grs0wCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRa2VlbCB1bml0IHRlc3QgQ0EwIBcNMjYxMTI5MjAxODE3WhgP\n"
    "MjEyNjExMDUyMDE4MTdaMBwxGjAYBgNVBAMMEWtlZWwgdW5pdCB0ZXN0IENBMFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOioO5IiCeW1vjouPOI6cZT1uffm471/V\n"
    "Y9JmWwjlFjCNPn77emsxVN7U6+jSKtZA0GGALNHwMKT1qGB69CBwxqNjMGEwHQYD\n"
    "VR0OBBYEFCo774yqN3TcHtrsh5DXLhnJSpTYMB8GA1UdIwQYMBaAFCo774yqN3Tc\n"
    "Htrsh5DXLhnJSpTYMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgIEMAoG\n"
    "CCqGSM49BAMCA0gAMEUCID7QaZczDUEQdkCBgCtLaSlIOryWTm5I61cgajxzOl6r\n"
    "AiEA+hPtyCGl6OcOj2iXy68bCbYFk0gIKF2pY5LRXCINGK4=\n"
    "-----END CERTIFICATE-----\n";

static const char fx_other_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkTCCATegAwIBAgIUWLyYMykUD+QoRxLebthFfNUiricwCgYIKoZIzj0EAwIw\n"
    "HTEbMBkGA1UEAwwSa2VlbCB1bml0IG90aGVyIENBMCAXDTI2MTEyOTIwMTgxN1oY\n"
    "DzIxMjYxMTA1MjAxODE3WjAdMRswGQYDVQQDDBJrZWVsIHVuaXQgb3RoZXIgQ0Ew\n"
    "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARgn6aM3981xhILsYaEpbgmaVeVvYKW\n"
    "KWNVbFB3mCd/s5Oa7kn+UL4qfXhoTkDVmudcqQS8IMTehxc58V0x+Hafo1MwUTAd\n"
    "BgNVHQ4EFgQUrqqzEkooJVFzBlqrm6p44Mi6Ta8wHwYDVR0jBBgwFoAUrqqzEkoo\n"
    "JVFzBlqrm6p44Mi6Ta8wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\n"
    "AiEAlRuB5HtV7FZoI+Vom9b91MiZ5mLD+67lmvuBJSWaAysCIDPddubIy3E0k9Rw\n"
    "7fjiD0kMi108U5Pe7QnorgXq9bAF\n"
    "-----END CERTIFICATE-----\n";

/* server.test and *.wild.test (EC), signed by fx_ca; its key. */
static const char fx_srv_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBqDCCAU6gAwIBAgIUSZAbAWvFk240Ya8ChlzeqNqclPIwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRa2VlbCB1bml0IHRlc3QgQ0EwIBcNMjYxMTI5MjAxODE3WhgP\n"
    "MjEyNjExMDUyMDE4MTdaMBYxFDASBgNVBAMMC3NlcnZlci50ZXN0MFkwEwYHKoZI\n"
    "zj0CAQYIKoZIzj0DAQcDQgAEeJY0V7okJy/ZxSvxfH07Otp68VADWGUJqquBsUYt\n"
    "CGM6hB0jfQm3XReMwf2QMOkpVTBMP/iRmGul9bCu2ilTd6NyMHAwIwYDVR0RBBww\n"
    "GoILc2VydmVyLnRlc3SCCyoud2lsZC50ZXN0MAkGA1UdEwQCMAAwHQYDVR0OBBYE\n"
    "FMIh+E9ABUMd9Tyzr7OzRXY0KWnhMB8GA1UdIwQYMBaAFCo774yqN3TcHtrsh5DX\n"
    "LhnJSpTYMAoGCCqGSM49BAMCA0gAMEUCIQDjKltcnK4GkgKVTu+ejyqswSqvYoy3\n"
    "mlJctZJ1hAQDkgIgSLmsQGQC3vGCCRC4U0Wim33CO4xOMma8CekPproeOlE=\n"
    "-----END CERTIFICATE-----\n";

static const char fx_srv_key[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIGigal53P/5rTUZRjP0cOxJebBbZO5wqXsSYUHgjB1nYoAoGCCqGSM49\n"
    "AwEHoUQDQgAEeJY0V7okJy/ZxSvxfH07Otp68VADWGUJqquBsUYtCGM6hB0jfQm3\n"
    "XReMwf2QMOkpVTBMP/iRmGul9bCu2ilTdw==\n"
    "-----END EC PRIVATE KEY-----\n";

/* rsa.test (RSA-2048), signed by fx_ca; its key. */
static const char fx_rsa_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICVjCCAfugAwIBAgIUSZAbAWvFk240Ya8ChlzeqNqclPMwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRa2VlbCB1bml0IHRlc3QgQ0EwIBcNMjYxMTI5MjAxODE4WhgP\n"
    "MjEyNjExMDUyMDE4MThaMBMxETAPBgNVBAMMCHJzYS50ZXN0MIIBIjANBgkqhkiG\n"
    "9w0BAQEFAAOCAQ8AMIIBCgKCAQEArXe/pBUpQNqMucHt47QTDddBWjTQjI/5iCau\n"
    "VMQca6T8kOQmdILY0k9nPAdiwe+CTjTiBMkbHJ/u3ush93/WZXwyB9voEj3J3O12\n"
    "94tv8Rne20U/iMjNeET3aoqqSa1YcUgO9rQR4bbo5hzhgBKT0aF5VFz5l5t8DjSq\n"
    "et0liiNF0HpxEwu3P3odSiobf02guH1KClIuDE0b5FIpm+Kjfd0zcKKqomF44rus\n"
    "Q5IS6rpIzHzOFqRcxvwGR7P848nWHFoiie8jHBrlZ8FDEGy0XiGT4awKUNTOgtKF\n"
    "jzOp58MzOMtnAB+gBsSNPuwESON5c3eIMTm48KZnATdTHWHJuQIDAQABo1cwVTAT\n"
    "BgNVHREEDDAKgghyc2EudGVzdDAdBgNVHQ4EFgQUzgwTkBHX9FLHPb+4o5aYOxd2\n"
    "CzgwHwYDVR0jBBgwFoAUKjvvjKo3dNwe2uyHkNcuGclKlNgwCgYIKoZIzj0EAwID\n"
    "SQAwRgIhAJK8r/VqeLQVbEJaPiETqSgY0fRdzOx5n4ZVj8Ch/Fc0AiEA1qOmHP1a\n"
    "8qxcbqUWJV5/jyDjvAUyM41tRnQIYlqh8IM=\n"
    "-----END CERTIFICATE-----\n";

static const char fx_rsa_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCtd7+kFSlA2oy5\n"
    "we3jtBMN10FaNNCMj/mIJq5UxBxrpPyQ5CZ0gtjST2c8B2LB74JONOIEyRscn+7e\n"
    "6yH3f9ZlfDIH2+gSPcnc7Xb3i2/xGd7bRT+IyM14RPdqiqpJrVhxSA72tBHhtujm\n"
    "HOGAEpPRoXlUXPmXm3wONKp63SWKI0XQenETC7c/eh1KKht/TaC4fUoKUi4MTRvk\n"
    "Uimb4qN93TNwoqqiYXjiu6xDkhLqukjMfM4WpFzG/AZHs/zjydYcWiKJ7yMcGuVn\n"
    "wUMQbLReIZPhrApQ1M6C0oWPM6nnwzM4y2cAH6AGxI0+7ARI43lzd4gxObjwpmcB\n"
    "N1MdYcm5AgMBAAECggEAFk03SeIf6/hCcBNbAT5X1hy0MzkSYtqTwImwj1yohr0E\n"
    "bPWtbVHxNutXILmWXHaYGx6OEa1v8I3YnmI+e10SdE5eTvJac2tBi5zKrGgJ2/Eb\n"
    "3LbvbyeEew+Ve5DDnzX2ZpdWt9L4xZBy1ZAlpwXnE+QdqYH2jiOYSb9C97QngmBw\n"
    "zlRJ+MrbABGpM2URhQhE2zXWZw3KCEfOdOgnzcC54Sh7zLJTe7puuYazzyDnr4zw\n"
    "CI5JUqkZuwnaOuCjMJQq/LEOymukbzs9hDjcAU+FIiXudGGYWZl2AZ0Ehb3HvaDy\n"
    "/G3/lXsbsIyJyqq66gEOAB7+tgRoF5r/vgDaCMx9DQKBgQDmoUeCeKlGveqVZ9lD\n"
    "7i6TcfHn1VN1127z34SgG2QHKGuHktN31Xvn/0gmfRuj6j3wTWI2mv00AZg+3J64\n"
    "Wc+fXJUPkfFkhhBBxX4xUBKOGPrE/ySVY82xTgnLonOpGbuKdcS/bVfnO6+JrhIJ\n"
    "QyZvu6mnYgOn7ZIzbUTU2LCwDwKBgQDAjLx9FAja+1ZZ7CbdcBxz0KA31e4GvtAo\n"
    "V2ggU+LGh5X14oucOp0T6bJ/P3pjmruyjtpdcTqOqZduwfvGKG0D7qE1A5BwkMPF\n"
    "ynpmkP+5q3sSwHUvK4BvyS+PRh5WxGM3Sesd4bcgmnY4XajxxhDlWAFxnbkoPBNH\n"
    "h5LDp34htwKBgQC2fS1JRtKi4EnLeMXI46HFF6dTS1Bj8Vig7d9SlPncVBZpyzs7\n"
    "GhiWJUBg/COv2vyxtXmePZtW2GAwdX+93YrUzXxBOrjoUtBwSqYkvPhBqfBbiovX\n"
    "DYbH4jkMAXpFdtAXqkJJOmsQ1AB9D9jDrXevd62xfXPpH6nMuYx6Yw/D7wKBgQCg\n"
    "vJuYuoHN9CSYuneTQUSvNciZ899ZCC8SjizhV8Wmv4bjFXRAPfnkpqEYcrBDt+ba\n"
    "X0BQ4vXkJBTDI/J+8D5ZGvq+G7SXE3IqiiV1u7OOlmUOOVVZxDHan5MxQnKPMjA0\n"
    "9mLstgE+mVL5KM6gzhxKqBXEd8samFPr0XQmGotDrwKBgDMzpVHtL0tPB4iqW20H\n"
    "fDtwRXK/ahNB1rYv5YriGKiP0h098P9qfty1to3/2WtBv289ssBYEccib2MaN49Q\n"
    "zu8ut7YsnoOA1ykqppkqF/tU3inm/12f2j5il4Y1Bqhimwo3n/Kd0Iriirfy5J21\n"
    "j0IA7uVUnXJwC0D8W4OKquF6\n"
    "-----END PRIVATE KEY-----\n";

#endif
