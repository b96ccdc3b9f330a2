@mopay @errors
Feature: Mopay error envelopes
  As a QA engineer
  I want every failure in Mopay's own envelope, with the vendor's ID or MSG, its CODE and an (MPS…) reference
  So that a client's error handling can be tested against every documented answer

  Every documented error of the notifications page is covered here or in the
  feature of its action. The vendor documents ERRORS.CODE, in HTTP's numbers: every target
  answers under an HTTP status of its class (a 401 as a 4xx), a Herald under CODE itself.

  Scenario Outline: An unsigned call is refused, under the vendor's key for its action
    This one needs no account: it creates nothing, and runs against any deployment.

    When I call "<action>" without signing
    Then the call fails with <key> "rqat_required" and code 401

    Examples:
      | action              | key |
      | user_notice_fetch   | ID  |
      | user_location_fetch | MSG |

  Scenario Outline: Every signed action refuses an unsigned call
    The vendor documents every notifications action but the newsletter as signed.

    When I call "<action>" without signing
    Then the call is refused with code 401

    Examples:
      | action                           |
      | user_notice_fetch                |
      | user_notification_fetch?rqtp=all |
      | user_location_fetch              |

  @mopay-account
  Scenario Outline: Every signed action refuses a wrong signature
    Given I am signed in to Mopay
    When I call "<action>" <signed>
    Then the call is refused with code 401

    Examples:
      | action                            | signed                                          |
      | user_notification_fetch?rqtp=all  | signed with a tampered signature                |
      | user_location_fetch               | signed with a tampered signature                |
      | user_notification_fetch?rqtp=all  | signed with a timestamp -86400 seconds from now |
      | user_location_fetch               | signed with a timestamp 86400 seconds from now  |
      | user_notification_fetch?rqtp=all  | signed but without the "MPY-REQSIGNAL" header   |
      | user_location_fetch               | signed but without the "MPY-TIMESTAMP" header   |
      | user_notification_fetch?rqtp=all  | signed with an unknown public key               |

  @mopay-account
  Scenario Outline: Documented errors carry their name under the vendor's key
    Given I am signed in to Mopay
    When I <call>
    Then the call fails with <key> "<name>" and code <code>

    Examples:
      | call                                                                    | key | name           | code |
      | call "user_notice_fetch" without signing                                | ID  | rqat_required  | 401  |
      | call "user_notice_fetch" signed with query "page=1"                     | MSG | response_empty | 401  |
      | call "user_notification_fetch" signed                                   | ID  | rqtp_required  | 401  |
      | call "user_location_fetch" without signing                              | MSG | rqat_required  | 401  |
      | call "user_location_fetch" signed with query "rtyp=cities&rqvl=Atlantis" | MSG | not_found      | 400  |

  @herald-design @mopay-account
  Scenario Outline: A key that was never issued is Unauthorized
    The vendor shows MSG "Unauthorized" among the errors of user_notification_fetch without
    saying what gives it; that an unknown key gives it is Herald's reading.

    Given I am signed in to Mopay
    When I call "<action>" signed with an unknown public key
    Then the call fails with MSG "Unauthorized" and code 401

    Examples:
      | action                  |
      | user_notice_fetch       |
      | user_notification_fetch |
      | user_location_fetch     |

  @herald-design @mopay-account
  Scenario Outline: Documented errors the simulator uses for unusable values
    Given I am signed in to Mopay
    When I call "<action>" signed with query "<query>"
    Then the call fails with MSG "<name>" and code <code>
    And the error details mention "<field>"

    Examples:
      | action                  | query          | name           | code | field |
      | user_notice_fetch       | page=-5        | process_failed | 401  | page  |
      | user_notification_fetch | rqtp=mk        | process_error  | 401  | rqvl  |
      | user_location_fetch     | rtyp=planets   | not_found      | 400  | rtyp  |
      | user_location_fetch     | page=soon      | not_found      | 400  | page  |

  @simulator @mopay-account
  Scenario: A server failure on locations is answered in the envelope
    Given I am signed in to Mopay
    When the simulator fails the next "user_location_fetch" call with status 500
    And I call "user_location_fetch" signed
    Then the call fails with MSG "server_error" and code 500

  @herald-design
  Scenario Outline: An unknown action
    When I send a GET to "<ref>"
    Then the call fails with MSG "action_unknown" and code 404

    Examples:
      | ref                              |
      | user_wallet_drain?all=1          |
      | /user_notice_fetch               |
      | ../_herald/v1/info               |
      | user_notice_fetch/extra          |

  @herald-design @mopay-account
  Scenario: A method the action does not take
    Given I am signed in to Mopay
    When I send a DELETE to "user_notice_fetch" signed
    Then the call fails with MSG "method_not_allowed" and code 405
    And the answer has the "Allow" header "GET, HEAD"

  @malformed @mutating
  Scenario Outline: A malformed request is refused, and Mopay keeps serving
    Whatever a server names the error, a request it cannot read must not succeed.

    When I send a POST to "user_profile_create" with body:
      """
      <body>
      """
    Then the call is refused
    And Mopay still serves

    Examples:
      | body               |
      | {"fsnm": "Ada",    |
      | {"fsnm":"Ada"} xyz |
      | {"a":1}{"b":2}     |
      | not json at all    |
      | [1, 2, 3]          |
      | "just a string"    |
      | null               |

  @herald-design @malformed @mutating
  Scenario Outline: Malformed registration bodies
    When I send a POST to "user_profile_create" with body:
      """
      <body>
      """
    Then the call fails with MSG "body_invalid" and code 400
    And Mopay still serves

    Examples:
      | body              |
      | {"fsnm": "Ada",   |
      | {"fsnm":"Ada"} xyz |
      | {"a":1}{"b":2}    |
      | not json at all   |
      | [1, 2, 3]         |
      | "just a string"   |
      | null              |

  @herald-design @malformed @mutating
  Scenario: A registration with no body
    When I send a POST to "user_profile_create"
    Then the call fails with MSG "body_invalid" and code 400

  @herald-design @malformed @mutating
  Scenario: A body that is not UTF-8
    When I send a POST to "user_profile_create" with a body that is not UTF-8
    Then the call fails with MSG "body_invalid" and code 400
    And Mopay still serves

  @herald-design @malformed @mutating
  Scenario: A body in another media type
    When I send a POST to "user_profile_create" with content type "text/plain" and body:
      """
      fsnm=Ada
      """
    Then the call fails with MSG "content_type_invalid" and code 415

  @herald-design @malformed @mutating
  Scenario: A compressed body
    When I send a POST to "user_profile_create" with the header "Content-Encoding" set to "gzip" and body:
      """
      {"fsnm":"Ada"}
      """
    Then the call fails with MSG "content_type_invalid" and code 415

  @herald-design @malformed @mutating
  Scenario: A huge body
    When I send a POST to "user_profile_create" with a body of 200000 bytes
    Then the call fails with MSG "request_too_large" and code 413
    And Mopay still serves

  @herald-design @malformed @mopay-account
  Scenario: Oversized headers
    Given I am signed in to Mopay
    When I send a GET to "user_notice_fetch" signed with a "X-Padding" header of 40000 bytes
    Then the call fails with MSG "headers_too_large" and code 431
    And Mopay still serves

  @malformed @mopay-account
  Scenario Outline: Junk in the signing headers is refused
    Given I am signed in to Mopay
    When I send a GET to "user_notice_fetch" signed with the "<header>" header set to "<value>"
    Then the call is refused with code 401
    And Mopay still serves

    Examples:
      | header        | value                          |
      | MPY-SECUREKEY | ' OR 1=1 --                    |
      | MPY-TIMESTAMP | 99999999999999999999999999999  |
      | MPY-TIMESTAMP | -1                             |
      | MPY-REQSIGNAL | zz                             |
      | MPY-REQSIGNAL | é€𝄞                            |

  @herald-design @malformed @mopay-account
  Scenario Outline: Junk in the signing headers
    Given I am signed in to Mopay
    When I send a GET to "user_notice_fetch" signed with the "<header>" header set to "<value>"
    Then the call fails with MSG "<name>" and code 401
    And Mopay still serves

    Examples:
      | header        | value                          | name              |
      | MPY-SECUREKEY | ' OR 1=1 --                    | Unauthorized      |
      | MPY-TIMESTAMP | 99999999999999999999999999999  | timestamp_expired |
      | MPY-TIMESTAMP | -1                             | timestamp_expired |
      | MPY-REQSIGNAL | zz                             | signature_invalid |
      | MPY-REQSIGNAL | é€𝄞                            | signature_invalid |

  @herald-design @malformed @mopay-account
  Scenario Outline: Junk in query parameters
    Given I am signed in to Mopay
    When I send a GET to "<ref>" signed
    Then the call fails with MSG "<name>" and code <code>
    And Mopay still serves

    Examples:
      | ref                                       | name           | code |
      | user_notice_fetch?page=%FF%FE             | process_failed | 401  |
      | user_notice_fetch?page=9999999999999999   | process_failed | 401  |
      | user_notice_fetch?page=%zz                | process_failed | 401  |
      | user_notice_fetch?page=1;x=2              | process_failed | 401  |
      | ?req=user_notice_fetch&page=%zz           | process_failed | 401  |
      | user_notification_fetch?rqtp=%00          | process_error  | 401  |
      | user_location_fetch?rqvl=%C3%28           | not_found      | 400  |
      | user_newsletter_create?emal=%FF&code=1    | emal_invalid   | 400  |
