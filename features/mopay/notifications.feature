@mopay @notifications @mopay-account
Feature: Mopay notifications by query type
  As an integrator of Mopay push notifications
  I want to fetch notifications by user, by marker, or all of them
  So that my app shows the right devices and messages

  The vendor documents rqtp (user, mk, all), rqvl (a user id or a marker; the caller by
  default for user), newest first, and rqtp_required. The scenarios take their user ids and
  markers from the target's own records. What an unknown rqtp or a marker-less mk gives is
  Herald's (@herald-design).

  Background:
    Given I am signed in to Mopay

  Scenario: rqtp=all returns notifications newest first
    When I call "user_notification_fetch" signed with query "rqtp=all"
    Then the call succeeds
    And DATA holds at least 1 record
    And the records in DATA are newest first

  Scenario: rqtp=user with rqvl returns that user's notifications, newest first
    When I call "user_notification_fetch" signed with query "rqtp=all"
    And I remember the userid of the first record in DATA that is not mine
    And I call "user_notification_fetch" signed with query "rqtp=user&rqvl={user}"
    Then the call succeeds
    And DATA holds at least 1 record
    And every record in DATA has "userid" equal to "{user}"
    And the records in DATA are newest first

  Scenario: rqtp=user without rqvl is the caller's notifications
    When I call "user_notification_fetch" signed with query "rqtp=user&rqvl={userid}"
    And I call "user_notification_fetch" signed with query "rqtp=user"
    Then the answer is the same as the one before
    And every record in DATA, if it succeeded, has "userid" equal to "{userid}"

  Scenario: rqtp=mk returns the notification with that marker
    When I call "user_notification_fetch" signed with query "rqtp=all"
    And I remember the marker of the first record in DATA
    And I call "user_notification_fetch" signed with query "rqtp=mk&rqvl={marker}"
    Then the call succeeds
    And DATA holds 1 record
    And every record in DATA has "marker" equal to "{marker}"

  Scenario: rqtp is required
    When I call "user_notification_fetch" signed
    Then the call fails with ID "rqtp_required" and code 401

  Scenario: An empty rqtp is refused
    When I call "user_notification_fetch" signed with query "rqtp="
    Then the call is refused with code 401

  @herald-design
  Scenario: An empty rqtp is a missing one
    When I call "user_notification_fetch" signed with query "rqtp="
    Then the call fails with ID "rqtp_required" and code 401

  @herald-design
  Scenario: An unknown rqtp cannot be processed
    When I call "user_notification_fetch" signed with query "rqtp=everything"
    Then the call fails with MSG "process_error" and code 401
    And the error details mention "rqtp"

  @herald-design
  Scenario: rqtp=mk needs a marker
    When I call "user_notification_fetch" signed with query "rqtp=mk"
    Then the call fails with MSG "process_error" and code 401
    And the error details mention "rqvl"
