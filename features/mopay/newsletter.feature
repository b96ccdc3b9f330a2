@mopay @newsletter
Feature: Mopay newsletter subscription with email verification
  As an integrator of Mopay's newsletter sign-up
  I want to verify an address with a code and subscribe it, once
  So that my sign-up form handles every answer Mopay can give

  No mail is sent by the simulator: the control API returns the last code.

  Background:
    Given a new email address

  @simulator @mutating
  Scenario: Subscribing with a verification code
    When I request an email verification code for it
    Then the call succeeds
    And DATA has "COMMENT" equal to "Verification code sent!"
    When I read its verification code from the simulator
    And I subscribe it to the newsletter with that code
    Then the call succeeds
    And DATA has "COMMENT" equal to "Operation successful!"

  @simulator @herald-design @mutating
  Scenario: A code works only once
    When I request an email verification code for it
    And I read its verification code from the simulator
    And I subscribe it to the newsletter with that code
    And I subscribe it to the newsletter with that code
    Then the call fails with MSG "code_incorrect" and code 400

  @simulator @mutating
  Scenario: An address subscribes only once
    When I request an email verification code for it
    And I read its verification code from the simulator
    And I subscribe it to the newsletter with that code
    And the simulator clock moves forward by "61s"
    And I request an email verification code for it
    And I read its verification code from the simulator
    And I subscribe it to the newsletter with that code
    Then the call fails with MSG "already_subscribed" and code 409

  @simulator @herald-design @mutating
  Scenario: A code expires after 600 seconds
    When I request an email verification code for it
    And I read its verification code from the simulator
    And the simulator clock moves forward by "601s"
    And I subscribe it to the newsletter with that code
    Then the call fails with MSG "code_incorrect" and code 400

  @herald-design @mutating
  Scenario: Codes are sent at most once a minute per address
    When I request an email verification code for it
    And I request an email verification code for it
    Then the call fails with MSG "too_many_requests" and code 429
    And the answer has a "Retry-After" header

  @mutating
  Scenario: A code that was never sent is incorrect
    When I subscribe it to the newsletter with the code "000000"
    Then the call fails with MSG "code_incorrect" and code 400

  @mutating
  Scenario: The address is required, and its absence is a 401
    When I call "user_newsletter_create" without signing with query "code=123456"
    Then the call fails with MSG "emal_required" and code 401

  @mutating
  Scenario: An empty address is refused
    When I call "user_newsletter_create" without signing with query "emal=&code=123456"
    Then the call is refused

  @herald-design @mutating
  Scenario: An empty address is a missing one
    When I call "user_newsletter_create" without signing with query "emal=&code=123456"
    Then the call fails with MSG "emal_required" and code 401

  @mutating
  Scenario: The code is required
    When I call "user_newsletter_create" without signing with query "emal={email}"
    Then the call fails with MSG "code_required" and code 400

  @herald-design @mutating
  Scenario: A malformed address is refused
    When I call "user_email_verification_send" without signing with query "emal=not-an-address"
    Then the call fails with MSG "emal_invalid" and code 400

  @simulator @mutating
  Scenario: A server failure is answered in the envelope
    When the simulator fails the next "user_newsletter_create" call with status 500
    And I subscribe it to the newsletter with the code "123456"
    Then the call fails with MSG "server_error" and code 500
